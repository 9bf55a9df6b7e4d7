import type { InstanceAction } from '../../../../core/db/entities/index.js';
import type { InstanceView } from '../../../../core/instances/instance-view.js';
import { novaTime } from '../common/endpoints.js';

/** Steps that are actions of their own: the power actions, and attach/detach on a running server. */
const OWN_ACTIONS = new Set(['stop', 'start', 'reboot', 'attach_volume', 'detach_volume']);

export interface NovaAction {
  action: string;
  request_id: string;
  instance_uuid: string;
  user_id: string;
  project_id: string;
  start_time: string | null;
  updated_at: string | null;
  message: string | null;
  events: Array<{
    event: string;
    start_time: string | null;
    finish_time: string | null;
    result: string | null;
    traceback: null;
    host: string | null;
  }>;
}

const RESULT: Record<string, string | null> = {
  succeeded: 'Success',
  failed: 'Error',
  compensated: 'Success',
  running: null,
};

function event(row: InstanceAction) {
  return {
    event: `compute_${row.step.replace(/^undo:/, 'undo_')}`,
    start_time: novaTime(row.startedAt),
    finish_time: novaTime(row.finishedAt),
    result: RESULT[row.outcome] ?? null,
    traceback: null,
    host: row.host,
  };
}

/**
 * Nova's os-instance-actions from the instance's action log: the build's steps (and their
 * undos) are the `create` action's events; after the build, each power action and each
 * attach or detach is an action with its one event; a deleting server has a `delete` action.
 */
export function novaActions(v: InstanceView, rows: InstanceAction[], userId: string): NovaAction[] {
  const base = { instance_uuid: v.id, user_id: userId, project_id: v.projectId };
  // The build ends at launch; an attach_volume before it is one of the build's steps.
  const launched = v.launchedAt ? new Date(v.launchedAt).getTime() : Infinity;
  const isOwn = (r: InstanceAction) => OWN_ACTIONS.has(r.step) && new Date(r.startedAt).getTime() >= launched;
  const build = rows.filter((r) => !isOwn(r));
  const actions: NovaAction[] = [
    {
      ...base,
      action: 'create',
      request_id: `req-${v.id}`,
      start_time: novaTime(v.createdAt),
      updated_at: novaTime(build.at(-1)?.finishedAt ?? v.createdAt),
      message: v.fault ? 'Error' : null,
      events: build.map(event),
    },
    ...rows.filter(isOwn).map((r) => ({
      ...base,
      action: r.step,
      request_id: `req-${r.id}`,
      start_time: novaTime(r.startedAt),
      updated_at: novaTime(r.finishedAt ?? r.startedAt),
      message: r.outcome === 'failed' ? 'Error' : null,
      events: [event(r)],
    })),
  ];
  if (v.status === 'DELETED' || v.taskState === 'deleting') {
    actions.push({
      ...base,
      action: 'delete',
      request_id: `req-delete-${v.id}`,
      start_time: novaTime(v.updatedAt),
      updated_at: novaTime(v.updatedAt),
      message: null,
      events: [],
    });
  }
  // Newest first, as Nova lists them.
  return actions.sort((a, b) => (b.start_time ?? '').localeCompare(a.start_time ?? ''));
}
