/* Running system calls inside a stopped tracee (after CRIU's compel: write a
 * `syscall; int3` gadget at an executable address, point the registers at it,
 * continue until the trap, read rax, put everything back). */
#ifndef CKPT_INJECT_H
#define CKPT_INJECT_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

struct inj {
    pid_t pid;
    unsigned long gadget;          /* address where `syscall; int3` is written */
    long saved_code;               /* original 8 bytes at gadget */
    struct user_regs_struct regs;  /* registers when injection began */
    unsigned long scratch;         /* tracee scratch mapping (0 if none) */
    size_t scratch_len;
};

/* Attaches with PTRACE_SEIZE and stops the task (PTRACE_INTERRUPT); 0 on success. */
int pt_attach_stop(pid_t pid);
/* Waits for a tracee stop; returns the waitpid status or -1. */
int pt_wait(pid_t pid, int *status);
/* Reads LEN bytes of tracee memory at ADDR (process_vm_readv, PEEKDATA fallback for protected pages). */
int pt_read(pid_t pid, unsigned long addr, void *buf, size_t len);
/* Writes tracee memory (process_vm_writev; POKEDATA fallback so read-only text can be patched). */
int pt_write(pid_t pid, unsigned long addr, const void *buf, size_t len);
/* The tracee's rseq registration (kernel 5.13+); 0 and zeroed output when none. */
int pt_rseq_config(pid_t pid, uint64_t *ptr, uint32_t *size, uint32_t *sig);
/* Begins an injection session using GADGET (any mapped executable address) as the trampoline. */
int inj_begin(struct inj *in, pid_t pid, unsigned long gadget);
/* Runs one system call in the tracee; returns its raw result (negative errno on failure). */
long inj_syscall(struct inj *in, long nr, long a1, long a2, long a3, long a4, long a5, long a6);
/* Calls the function at FN(ARG) in the tracee on the scratch mapping's top as stack, with FS_BASE
 * as thread pointer; returns rax, or -1 if the call faulted or did not return to the gadget. */
long inj_call(struct inj *in, unsigned long fn, unsigned long arg, unsigned long fs_base);
/* Maps LEN bytes of scratch memory in the tracee for syscall arguments. */
int inj_scratch(struct inj *in, size_t len);
/* Copies BUF into scratch at OFF and returns its tracee address (0 on failure). */
unsigned long inj_put(struct inj *in, size_t off, const void *buf, size_t len);
/* Ends the session: unmaps scratch, restores code and (if RESTORE_REGS) the original registers. */
int inj_end(struct inj *in, int restore_regs);
#endif
