# Benchmark programs (see bench/run_bench.sh).
BB := $(B)/bench
bench-build: $(BB)/libbench.so $(BB)/bench_call $(BB)/libaudit.so

$(BB)/libbench.so: bench/libbench.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -fPIC -shared -Wl,-soname,libbench.so -Wl,-z,lazy $< -o $@
$(BB)/bench_call: bench/bench_call.c $(BB)/libbench.so
	$(CC) $(CFLAGS) -Wl,-z,lazy $< $(BB)/libbench.so -Wl,-rpath,'$$ORIGIN' -o $@
$(BB)/libaudit.so: bench/audit.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -fPIC -shared $< -o $@
