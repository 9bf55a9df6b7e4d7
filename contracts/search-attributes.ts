import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';

/** Custom search attributes, registered on the dev server at start and kept current by the workflows. */
export const InstanceIdKey = defineSearchAttributeKey('InstanceId', SearchAttributeType.KEYWORD);
export const ProjectIdKey = defineSearchAttributeKey('ProjectId', SearchAttributeType.KEYWORD);
export const ComputeHostKey = defineSearchAttributeKey('ComputeHost', SearchAttributeType.KEYWORD);
export const InstanceStatusKey = defineSearchAttributeKey('InstanceStatus', SearchAttributeType.KEYWORD);

/** For `temporal server start-dev --search-attribute NAME=TYPE` and `operator search-attribute create`. */
export const SEARCH_ATTRIBUTES: ReadonlyArray<{ name: string; type: 'Keyword' }> = [
  { name: InstanceIdKey.name, type: 'Keyword' },
  { name: ProjectIdKey.name, type: 'Keyword' },
  { name: ComputeHostKey.name, type: 'Keyword' },
  { name: InstanceStatusKey.name, type: 'Keyword' },
];

/**
 * The search attributes an instance's workflow starts with: its id and project, its status
 * where the workflow keeps one (a build or a delete), and its host once it has one.
 */
export function instanceSearchAttributes(attrs: {
  instanceId: string;
  projectId: string;
  status?: string;
  host?: string | null;
}): SearchAttributePair[] {
  return [
    { key: InstanceIdKey, value: attrs.instanceId },
    { key: ProjectIdKey, value: attrs.projectId },
    ...(attrs.status ? [{ key: InstanceStatusKey, value: attrs.status }] : []),
    ...(attrs.host ? [{ key: ComputeHostKey, value: attrs.host }] : []),
  ];
}
