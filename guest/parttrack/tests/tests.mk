# Test programs and libraries (see tests/run_tests.sh).
T        := $(B)/tests
TCFLAGS  := $(CFLAGS) -fPIC -Itests
TEST_BIN := $(T)/libbar.so.1 $(T)/v1/libfoo.so.1 $(T)/v2/libfoo.so.1 $(T)/v3/libfoo.so.1 \
            $(T)/libplug.so $(T)/fig1 $(T)/stress \
            $(T)/relro/libbar.so.1 $(T)/relro/libfoo.so.1 $(T)/fig1_relro \
            $(T)/libcxxb.so $(T)/libcxxa.so $(T)/cxxmain $(T)/realprog
NOW      := -Wl,-z,relro,-z,now

tests-build: $(TEST_BIN)

$(T)/libbar.so.1: tests/libbar.c tests/libbar.h tests/libfoo.h
	@mkdir -p $(@D)
	$(CC) $(TCFLAGS) -shared -Wl,-soname,libbar.so.1 -Wl,-z,lazy $< -o $@
$(T)/v%/libfoo.so.1: tests/libfoo.c tests/libfoo.h $(T)/libbar.so.1
	@mkdir -p $(@D)
	$(CC) $(TCFLAGS) -shared -DVERSION=$(if $(filter 3,$*),2 -DDROP_WORK,$*) -Wl,-soname,libfoo.so.1 -Wl,-z,lazy -Wl,-rpath,'$$ORIGIN/..' \
	    $< $(T)/libbar.so.1 -o $@
$(T)/libplug.so: tests/libplug.c $(T)/libbar.so.1
	$(CC) $(TCFLAGS) -shared -Wl,-z,lazy -Wl,-rpath,'$$ORIGIN' $< $(T)/libbar.so.1 -o $@
$(T)/fig1: tests/fig1.c $(T)/v1/libfoo.so.1
	$(CC) $(CFLAGS) -Itests -Wl,-z,lazy $< $(T)/v1/libfoo.so.1 -Wl,-rpath,'$$ORIGIN/v1:$$ORIGIN' -Wl,-rpath-link,$(T) -ldl -o $@
$(T)/stress: tests/stress.c $(T)/v1/libfoo.so.1
	$(CC) $(CFLAGS) -Itests -Wl,-z,lazy $< $(T)/v1/libfoo.so.1 -Wl,-rpath,'$$ORIGIN/v1:$$ORIGIN' -Wl,-rpath-link,$(T) -lpthread -o $@
$(T)/relro/libbar.so.1: tests/libbar.c tests/libbar.h
	@mkdir -p $(@D)
	$(CC) $(TCFLAGS) -shared -Wl,-soname,libbar.so.1 $(NOW) $< -o $@
$(T)/relro/libfoo.so.1: tests/libfoo.c tests/libfoo.h $(T)/relro/libbar.so.1
	$(CC) $(TCFLAGS) -shared -DVERSION=1 -Wl,-soname,libfoo.so.1 $(NOW) -Wl,-rpath,'$$ORIGIN' $< $(T)/relro/libbar.so.1 -o $@
$(T)/fig1_relro: tests/fig1.c $(T)/relro/libfoo.so.1
	$(CC) $(CFLAGS) -Itests $(NOW) $< $(T)/relro/libfoo.so.1 -Wl,-rpath,'$$ORIGIN/relro' -Wl,-rpath-link,$(T)/relro -ldl -o $@
$(T)/libcxxb.so: tests/cxx_b.cpp tests/cxx_parts.h
	@mkdir -p $(@D)
	g++ -O2 -g -Wall -Wextra -Werror -fPIC -shared -Wl,-soname,$(@F) -Itests $< -o $@
$(T)/libcxxa.so: tests/cxx_a.cpp tests/cxx_parts.h $(T)/libcxxb.so
	g++ -O2 -g -Wall -Wextra -Werror -fPIC -shared -Wl,-soname,$(@F) -Itests $< $(T)/libcxxb.so -Wl,-rpath,'$$ORIGIN' -o $@
$(T)/cxxmain: tests/cxx_main.cpp $(T)/libcxxa.so
	g++ -O2 -g -Wall -Wextra -Werror -Itests $< $(T)/libcxxa.so $(T)/libcxxb.so -Wl,-rpath,'$$ORIGIN' -o $@
$(T)/realprog: tests/realprog.c $(T)/v1/libfoo.so.1
	$(CC) $(CFLAGS) -Itests $< $(T)/v1/libfoo.so.1 -Wl,-rpath,'$$ORIGIN/v1:$$ORIGIN' -Wl,-rpath-link,$(T) -ldl -lpthread -o $@
