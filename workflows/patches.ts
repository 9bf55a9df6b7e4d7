/**
 * Ids of `patched()` branches: a workflow changed after histories were recorded keeps the
 * old commands for executions that ran without the change (replay), and takes the new ones
 * otherwise. One name per change, shared by the workflows it touches.
 */

/** The network node's DHCP reservation after allocate_port, and its removal before deallocatePort. */
export const DHCP_RESERVATION_PATCH = 'dhcp-reservation';

/**
 * An undo that failed for good leaves the instance ERROR with a CleanupIncomplete fault
 * naming what is left, instead of DELETED (a cancelled build), the step's own fault (a
 * failed build) or a failed DeleteInstance that stops at the first failing step.
 */
export const CLEANUP_INCOMPLETE_PATCH = 'cleanup-incomplete';

/**
 * The records (the action rows, task state, attempts, outcome the API reads) as local
 * activities in the workflow worker, not a task-queue round trip each: decided once per
 * execution, at its start (recordsOf), so older executions replay with regular activities.
 */
export const LOCAL_RECORDS_PATCH = 'local-records';

/**
 * Compute hosts never write the database: a host decides a claim from its own ledger and
 * gives it back there (releaseHostClaim), and the workflow records what each host step did
 * (the claim, the port's status, the volume's attachment) with control-plane records.
 * Executions that ran without it replay with the host steps that wrote those rows themselves.
 */
export const HOST_LEDGER_PATCH = 'host-ledger';

/**
 * Fewer local activities per build: a record the user does not see at once (a step start that
 * leaves the task state as it is, the attempt) is held, with its time, and written with the
 * next record; a record the control plane may refuse goes last in that same call; a control-plane
 * step that moves the task state carries what is held, and its own start, and writes them itself.
 * CreateInstance asks it first (Build.has): a build that has it takes every change above
 * without asking, so it writes one patch marker, and one TemporalChangeVersion upsert, not five.
 * The next change to CreateInstance does the same: asked first, it stands for this one too.
 */
export const HELD_RECORDS_PATCH = 'held-records';
