/* The process tree as /proc shows it, and which of its processes are tracked. */
#ifndef PT_PROCTREE_H
#define PT_PROCTREE_H

/* Parent pid of pid from /proc/PID/stat, or -1. */
int pt_proc_ppid(int pid);
/* 1 if process pid maps the file path, 0 if not, -1 if its maps cannot be read. */
int pt_proc_maps_file(int pid, const char *path);
/* Live tracked pids (state files that pass pt_view_open), ascending; returns the count (≤ max).
 * Removes the files of processes that no longer exist. */
int pt_tracked_pids(int *out, int max);
/* Orders pids[0..n) as a pre-order walk of the tree (children after their nearest
 * ancestor in the list, by pid); depth[i] is the number of listed ancestors. */
void pt_tree_order(int *pids, int *depth, int n);
/* 1 if anc is a proper ancestor of pid. */
int pt_proc_is_ancestor(int anc, int pid);

#endif
