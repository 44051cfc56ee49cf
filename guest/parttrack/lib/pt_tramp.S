/* Call/return trampolines.  Every hooked GOT slot points at a per-binding stub
 * that loads the binding into %r11 and jumps here.  The entry pops the caller's
 * return address into the thread's frame stack and then *calls* the target, so
 * the callee returns into us (that is how the return is seen) and the CPU's
 * return-stack predictor stays in step; we then go back with push+ret, which
 * matches the caller's own call.  No system call, no lock, no atomic on the
 * fast path: the frame stack lives in the thread's record in the shared file,
 * which the CLI and the swapper read.
 *
 * At entry %r10/%r11 are free (the PLT already used them); %rax carries the
 * vector-register count of varargs calls and must survive.  At return
 * %rax/%rdx/%xmm0/%xmm1/%st hold the result; %rcx,%rsi,%rdi,%r10,%r11 are free. */
#include "pt_layout.h"

#define SAVE_SIZE 200

.macro SAVE_ARGS
	pushq	%rax
	pushq	%rdi
	pushq	%rsi
	pushq	%rdx
	pushq	%rcx
	pushq	%r8
	pushq	%r9
	pushq	%r11
	subq	$136, %rsp
	movdqu	%xmm0, 0(%rsp)
	movdqu	%xmm1, 16(%rsp)
	movdqu	%xmm2, 32(%rsp)
	movdqu	%xmm3, 48(%rsp)
	movdqu	%xmm4, 64(%rsp)
	movdqu	%xmm5, 80(%rsp)
	movdqu	%xmm6, 96(%rsp)
	movdqu	%xmm7, 112(%rsp)
.endm

.macro RESTORE_ARGS
	movdqu	0(%rsp), %xmm0
	movdqu	16(%rsp), %xmm1
	movdqu	32(%rsp), %xmm2
	movdqu	48(%rsp), %xmm3
	movdqu	64(%rsp), %xmm4
	movdqu	80(%rsp), %xmm5
	movdqu	96(%rsp), %xmm6
	movdqu	112(%rsp), %xmm7
	addq	$136, %rsp
	popq	%r11
	popq	%r9
	popq	%r8
	popq	%rcx
	popq	%rdx
	popq	%rsi
	popq	%rdi
	popq	%rax
.endm

/* TRAMP name, fence, sys: fence adds an mfence after publishing the frame (for
 * kernels without membarrier); sys adds a system call per transition, which is
 * the seed paper's scheme, kept for the benchmark. */
.macro TRAMP name, fence, sys
	.text
	.p2align 5
	.globl	\name\()_enter
	.hidden	\name\()_enter
	.type	\name\()_enter, @function
\name\()_enter:
	movq	pt_self@gottpoff(%rip), %r10
	movq	%fs:(%r10), %r10
	testq	%r10, %r10
	jz	\name\()_slow
	pushq	%rax
	pushq	%rcx
	movl	THR_DEPTH(%r10), %eax
	leaq	16(%rsp), %rcx			/* slot holding the true return */
	testl	%eax, %eax
	jz	\name\()_push
	cmpl	$PT_MAX_DEPTH, %eax
	jae	\name\()_slow_pop
	shlq	$F_SHIFT, %rax
	/* a live outer frame sits higher on the stack; if lower, frames were
	 * abandoned by longjmp or an exception and the slow path drops them */
	cmpq	%rcx, THR_FRAMES - F_SIZE + F_SP(%r10,%rax)
	jb	\name\()_slow_pop
	jne	\name\()_push
	/* same slot as the top frame: a tail call out of that frame's callee
	 * (the slot still holds our return label) nests; anything else means
	 * the top frame was abandoned */
	pushq	%rdx
	leaq	\name\()_after(%rip), %rdx
	cmpq	%rdx, (%rcx)
	popq	%rdx
	jne	\name\()_slow_pop
\name\()_push:
	/* A signal handler making tracked calls may interrupt us anywhere here.
	 * Before the depth is raised it pushes and pops its own frames at this
	 * same index, overwriting what we wrote; after, it pushes above ours,
	 * checking only our slot.  So: slot, depth, then the slot again and the
	 * rest.  A frame is complete before the target is loaded (the swap's
	 * ordering needs only that). */
	leaq	THR_FRAMES(%r10,%rax), %rax
	movq	%rcx, F_SP(%rax)
	incl	THR_DEPTH(%r10)
	movq	%rcx, F_SP(%rax)
	movq	(%rcx), %rcx
	movq	%rcx, F_RET(%rax)
	movl	B_IDX(%r11), %ecx
	movl	%ecx, F_BIND(%rax)
	incq	THR_CALLS(%r10,%rcx,8)
	.if \fence
	mfence
	.endif
	.if \sys
	pushq	%r11
	movl	$110, %eax			/* getppid: stands for the seed's notify call */
	syscall
	popq	%r11
	.endif
	popq	%rcx
	popq	%rax
\name\()_call:
	addq	$8, %rsp
	call	*B_TARGET(%r11)
	.globl	\name\()_after
	.hidden	\name\()_after
\name\()_after:
	movq	pt_self@gottpoff(%rip), %r10
	movq	%fs:(%r10), %r10
	movl	THR_DEPTH(%r10), %ecx
	leaq	-8(%rsp), %rdi			/* the slot we returned through */
\name\()_pop:
	subl	$1, %ecx
	jb	\name\()_lost
	movl	%ecx, %esi
	shlq	$F_SHIFT, %rsi
	leaq	THR_FRAMES(%r10,%rsi), %rsi
	cmpq	%rdi, F_SP(%rsi)
	jb	\name\()_stale
	jne	\name\()_lost
	movq	F_RET(%rsi), %rdi
	movl	%ecx, THR_DEPTH(%r10)
	.if \sys
	pushq	%rax
	movl	$110, %eax
	syscall
	popq	%rax
	.endif
	pushq	%rdi
	ret
\name\()_stale:
	/* a deeper frame was abandoned (longjmp inside the callee) */
	incq	THR_UNWOUND(%r10)
	movl	F_BIND(%rsi), %esi
	incq	THR_LOST(%r10,%rsi,8)
	jmp	\name\()_pop
\name\()_lost:
	leaq	-8(%rsp), %rdi
	call	pt_fatal_return
	ud2
\name\()_slow_pop:
	popq	%rcx
	popq	%rax
\name\()_slow:
	SAVE_ARGS
	movq	%r11, %rdi
	leaq	SAVE_SIZE(%rsp), %rsi
	call	pt_enter_slow_c
	movl	%eax, %r10d
	RESTORE_ARGS
	testl	%r10d, %r10d
	jnz	\name\()_call
	jmp	*B_TARGET(%r11)
	.size	\name\()_enter, . - \name\()_enter
.endm

	TRAMP pt_fast, 0, 0
	TRAMP pt_fenced, 1, 0
	TRAMP pt_sys, 0, 1

/* A binding whose library is being swapped out points here: the C side takes
 * the caller's frame off the stack, waits for the swap to end and returns
 * the binding's new target. */
	.text
	.p2align 4
	.globl	pt_gate_stub
	.hidden	pt_gate_stub
	.type	pt_gate_stub, @function
pt_gate_stub:
	SAVE_ARGS
	movq	%r11, %rdi
	leaq	SAVE_SIZE(%rsp), %rsi
	call	pt_gate_c
	movq	%rax, %r10
	RESTORE_ARGS
	jmp	*%r10
	.size	pt_gate_stub, . - pt_gate_stub

	.section .note.GNU-stack,"",@progbits
