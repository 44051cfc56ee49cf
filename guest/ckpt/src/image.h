/* The checkpoint image: a versioned, checksummed container of typed records.
 * Layout (all little-endian; the README has the full specification):
 *   file header (64 bytes) | record header (32 bytes) + payload ... | END record
 * The file header is written last, so a torn write is always detectable; every
 * record header and payload carries a CRC-32C, and the whole file is verified
 * before a restore touches anything. */
#ifndef CKPT_IMAGE_H
#define CKPT_IMAGE_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/user.h>

#define CK_MAGIC "HSCKPT\r\n"
#define CK_VERSION 1
#define CK_PAGE 4096

enum ck_rec_type {
    CK_REC_PROC = 1,   /* struct ck_proc */
    CK_REC_XSTATE = 2, /* raw NT_X86_XSTATE (or NT_PRFPREG) register set */
    CK_REC_MEM = 3,    /* struct ck_mem (padded to CK_PAGE) + the region's bytes */
    CK_REC_FRAMES = 4, /* struct ck_frame[]: the saved call stack, innermost first */
    CK_REC_SIGACT = 5, /* struct ck_sigact[64] */
    CK_REC_FD = 6,     /* struct ck_fd */
    CK_REC_TCP = 7,    /* struct ck_tcp + receive queue bytes + send queue bytes */
    CK_REC_EXE = 8,    /* struct ck_exe: load bias and dynamic-linking facts of the executable */
    CK_REC_LIB = 9,    /* struct ck_lib: one mapped file (shared library, ...) and its identity */
    CK_REC_END = 0xffff,
};

struct ck_file_hdr {
    char magic[8];
    uint32_t version;
    uint32_t hdr_size;   /* 64 */
    uint64_t file_size;  /* exact size of the file */
    uint64_t nrecords;   /* including END */
    uint32_t flags;
    uint32_t hdr_crc;    /* CRC-32C of these 64 bytes with hdr_crc = 0 */
    uint8_t pad[24];
};

struct ck_rec_hdr {
    uint32_t type;
    uint32_t hdr_crc;  /* CRC-32C of this header with hdr_crc = 0 */
    uint64_t len;      /* payload length */
    uint64_t data_off; /* absolute file offset of the payload */
    uint32_t data_crc; /* CRC-32C of the payload */
    uint32_t reserved;
};

struct ck_proc {
    uint64_t pid, starttime;
    uint64_t exe_size;
    uint32_t exe_crc;       /* CRC-32C of the binary, to find/verify the "old" binary */
    uint32_t nthreads;
    struct user_regs_struct regs;
    uint64_t sigmask;
    uint64_t start_brk, brk;
    uint64_t start_stack, arg_start, arg_end, env_start, env_end; /* for prctl(PR_SET_MM_MAP) */
    uint64_t xstate_kind;   /* NT_X86_XSTATE or NT_PRFPREG */
    uint64_t rseq_ptr;      /* glibc's rseq registration (in TLS), re-registered at restore */
    uint32_t rseq_size, rseq_sig;
    struct { uint64_t start, end; char name[16]; } special[4]; /* [vvar]/[vdso] placement */
    char func[128];         /* function whose return triggered it ("" for dump) */
    char exe[1024];
    char cwd[1024];
};

#define CK_MEMF_NODATA 1 /* PROT_NONE or shared-file region: no bytes follow the header */
#define CK_MEMF_FILEMAP 2 /* with NODATA: an unmodified private file mapping, restored by mapping
                           * the file again after its CK_REC_LIB identity was verified */
enum ck_mem_kind { CK_MEM_ANON = 0, CK_MEM_HEAP, CK_MEM_STACK, CK_MEM_BINRW, CK_MEM_FILE, CK_MEM_SHFILE };

struct ck_mem {
    uint64_t start, end;
    uint32_t prot;    /* PROT_* at checkpoint */
    uint32_t kind;    /* enum ck_mem_kind */
    uint64_t file_off;
    uint32_t flags;   /* CK_MEMF_* */
    uint32_t pad;
    char name[256];   /* path for file mappings, "[heap]" etc. */
};

#define CK_EXE_PIE 1     /* ET_DYN executable: addresses are link-time + bias */
#define CK_EXE_DYNAMIC 2 /* has PT_INTERP: libraries and ld.so state in the image */

struct ck_exe {
    uint64_t bias;          /* runtime address - link-time address */
    uint32_t flags;         /* CK_EXE_* */
    uint32_t build_id_len;
    uint8_t build_id[64];
    uint64_t ldso_base;     /* load base of the dynamic linker (AT_BASE), 0 if static */
    uint64_t r_debug;       /* runtime address of ld.so's _r_debug (its link_map chain), or 0 */
    char interp[256];
};

struct ck_lib {
    uint64_t base;          /* runtime address of file offset 0 (ELF: load bias) */
    uint64_t dev, ino, size, mtime_ns;
    uint32_t build_id_len;  /* 0 for a file that is not ELF or has no build-id */
    uint32_t is_elf;
    uint8_t build_id[64];
    char soname[256];
    char path[1024];
};

struct ck_frame {
    uint64_t ip;      /* pc of the frame (frame 0: the saved rip) */
    uint64_t ra_loc;  /* stack address holding ip as a return address (0 for frame 0) */
};

struct ck_sigact {
    uint64_t handler, flags, restorer, mask;
};

enum ck_fd_kind { CK_FD_FILE = 0, CK_FD_TCP, CK_FD_TCP_LISTEN, CK_FD_OTHER };

struct ck_fd {
    int32_t fd;
    uint32_t kind;
    int32_t fdflags;  /* FD_CLOEXEC */
    int32_t flags;    /* O_* status flags */
    uint64_t pos;
    char path[1024];
};

struct ck_tcp {
    int32_t fd;
    int32_t family;
    uint8_t local[28], remote[28]; /* sockaddr_in or sockaddr_in6 */
    uint32_t snd_seq, rcv_seq;     /* write_seq, rcv_nxt */
    uint32_t outq_len, unsent_len, inq_len;
    uint32_t mss, snd_wscale, rcv_wscale, opts, timestamp;
    uint32_t has_window;
    uint32_t win[5];               /* struct tcp_repair_window */
    int32_t nodelay, keepalive;
};

struct ck_writer {
    int fd;
    int dfd;          /* the same temp file opened with O_DIRECT (CKPT_DIRECT=1), or -1 */
    int reused;       /* writing over the previous spare image: skipped bytes must be zeroed */
    int keep_spare;   /* on finish, keep the replaced image as PATH.prev */
    uint64_t off, nrec;
    char tmp[4200], final[4200], spare[4200];
    /* streaming record state */
    uint64_t rec_hdr_off, rec_len;
    uint32_t rec_type, rec_crc;
};

/* Names beside PATH (DIR/image.ckpt): the previous image, kept as the spare; a blank spare
 * prepared by watch; and the unfinished one it is written to. */
#define CK_SUFFIX_SPARE ".prev"
#define CK_SUFFIX_BLANK ".blank"
#define CK_SUFFIX_PREFILL ".prefill"

/* Mode of an image file that a restored process maps: never overwritten in place. */
#define CK_MODE_MAPPED 0400
/* Mode of an image file ckpt may overwrite in place once it is the spare (PATH.prev). */
#define CK_MODE_IMAGE 0600

/* Starts writing an image to PATH (via PATH.tmp, renamed on finish so readers never see a torn
 * image). With KEEP_SPARE the image it replaces is kept as PATH.prev, and an existing PATH.prev
 * that no restored process maps is overwritten in place as the new PATH.tmp (its page-cache pages
 * are reused instead of allocated). */
int ckw_open(struct ck_writer *w, const char *path, int keep_spare);
/* Makes LEN bytes at OFF of a reserved payload read as zeros (a no-op in a new file, where
 * unwritten bytes are holes already). */
int ckw_zero(struct ck_writer *w, uint64_t off, uint64_t len);
/* Writes a whole record; payload starts at a multiple of ALIGN (8 or CK_PAGE). */
int ckw_record(struct ck_writer *w, uint32_t type, const void *data, size_t len, size_t align);
/* Begins a record whose payload is appended in pieces (for large memory regions). */
int ckw_begin(struct ck_writer *w, uint32_t type, size_t align);
/* Appends payload bytes to the record begun by ckw_begin. */
int ckw_append(struct ck_writer *w, const void *data, size_t len);
/* Accounts LEN payload bytes whose CRC-32C (of those bytes alone) the caller computed, for a
 * record begun by ckw_begin; returns the file offset where the caller must write them
 * (with ck_pwrite_all, possibly from another thread, before ckw_finish). */
uint64_t ckw_reserve(struct ck_writer *w, size_t len, uint32_t crc);
/* pwrite until done (EINTR-safe); 0 or -1 with the reason recorded. */
int ck_pwrite_all(int fd, const void *buf, size_t len, uint64_t off);
/* Writes payload bytes reserved with ckw_reserve: through *DFD (O_DIRECT, bypassing the page
 * cache) when BUF, LEN and OFF are all CK_PAGE-aligned and *DFD >= 0, else through FD. If the
 * kernel refuses O_DIRECT (EINVAL), sets *DFD = -1 and writes the rest through FD. Adds the
 * bytes written directly to *DIRECT. Callers keep direct writes to whole pages that no
 * buffered write touches (memory payloads: page-aligned, whole pages). */
int ck_pwrite_payload(int fd, int *dfd, const void *buf, size_t len, uint64_t off, uint64_t *direct);
/* Closes the record begun by ckw_begin, writing its header. */
int ckw_end(struct ck_writer *w);
/* Writes the END record and the file header, then renames into place. */
int ckw_finish(struct ck_writer *w);
/* Discards a partly written image. */
void ckw_abort(struct ck_writer *w);

struct ck_rec {
    uint32_t type;
    const void *data;
    uint64_t len;
    uint64_t off;  /* file offset of data */
};

struct ck_image {
    int fd;
    void *map;
    size_t size;
    struct ck_rec *recs;
    size_t nrec;
    const struct ck_proc *proc;
};

/* Maps and fully verifies an image (header, every CRC, record sizes); refuses anything damaged. */
int ck_image_open(struct ck_image *img, const char *path);
/* Releases an opened image. */
void ck_image_close(struct ck_image *img);
/* Name of a record type, for `ckpt info`. */
const char *ck_rec_name(uint32_t type);
/* Prints a verified image's process, mappings, descriptors and frames (ckpt info). */
void ck_image_describe(const struct ck_image *img, const char *path, FILE *out);
#endif
