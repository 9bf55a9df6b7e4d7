import type { TestStack } from './stack.js';

/** Polls the instance until its build has ended (ACTIVE or ERROR) and returns what the API shows. */
export function waitBuildEnded(stack: TestStack, id: string, timeoutMs = 60_000): Promise<any> {
  return stack.waitFor(
    async () => {
      const { body } = await stack.api('GET', `/v1/instances/${id}`);
      return body.status === 'ACTIVE' || body.status === 'ERROR' ? body : null;
    },
    timeoutMs,
    `instance ${id} ACTIVE or ERROR`,
  );
}
