/* The parttrack subcommands. */
#ifndef PT_COMMANDS_H
#define PT_COMMANDS_H

/* parttrack run [--mode M] -- prog args: exec prog with the tracking library preloaded. */
int cmd_run(int argc, char **argv);
/* parttrack status [-b] [-r] PID: object, thread, (-b) binding states; -r adds tracked descendants. */
int cmd_status(int argc, char **argv);
/* parttrack swap [-t MS] PID OLD NEW: replace library OLD by file NEW in the live process. */
int cmd_swap(int argc, char **argv);
/* parttrack list [-t]: tracked processes on this machine (-t: as a tree). */
int cmd_list(int argc, char **argv);

#endif
