/**
 * The console's only way to the API: same origin, the signed-in token, problem+json errors
 * turned into ApiError (with the fields at fault), and conditional GETs for polling.
 */

export interface FieldError {
  field: string;
  message: string;
}

/** RFC 9457, as the API sends it (apps/api/common/problem.ts). */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  errors?: FieldError[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
  }

  /** The message for one form field, if the API named it. */
  fieldMessage(field: string): string | undefined {
    return this.problem.errors?.find((e) => e.field === field)?.message;
  }
}

const TOKEN_KEY = 'nimbus.token';

export const token = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (value: string): void => sessionStorage.setItem(TOKEN_KEY, value),
  clear: (): void => sessionStorage.removeItem(TOKEN_KEY),
};

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const bearer = token.get();
  return { ...(bearer ? { authorization: `Bearer ${bearer}` } : {}), ...extra };
}

async function failure(res: Response): Promise<ApiError> {
  const text = await res.text();
  let problem: Problem = { status: res.status, detail: text || res.statusText };
  try {
    problem = JSON.parse(text) as Problem;
  } catch {
    // Not problem+json (a proxy's page): keep the text as the detail.
  }
  return new ApiError(res.status, problem);
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    headers: headers(body === undefined ? {} : { 'content-type': 'application/json' }),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw await failure(res);
  return (res.status === 204 ? undefined : await res.json()) as T;
}

/** Last body and ETag per path: a poll that finds nothing new costs a 304 and no parsing. */
const cache = new Map<string, { etag: string; body: unknown }>();

export async function getFresh<T>(path: string): Promise<T> {
  const known = cache.get(path);
  // Our own Cache-Control: without it fetch adds `no-cache` to a conditional request (the
  // Fetch standard), and the server then answers in full instead of 304.
  const conditional: Record<string, string> = known
    ? { 'if-none-match': known.etag, 'cache-control': 'max-age=0' }
    : {};
  const res = await fetch(path, { headers: headers(conditional), cache: 'no-store' });
  if (res.status === 304 && known) return known.body as T;
  if (!res.ok) throw await failure(res);
  const body = (await res.json()) as T;
  const etag = res.headers.get('etag');
  if (etag) cache.set(path, { etag, body });
  return body;
}

export function clearCache(): void {
  cache.clear();
}

/** PUT of a file's bytes with upload progress (fetch has no upload progress events). */
export function upload(path: string, file: Blob, onProgress: (done: number, total: number) => void): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', path);
    for (const [name, value] of Object.entries(headers({ 'content-type': 'application/octet-stream' }))) {
      xhr.setRequestHeader(name, value);
    }
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onerror = () => reject(new ApiError(0, { detail: 'the upload was interrupted' }));
    xhr.onload = () => {
      let body: unknown;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = { detail: xhr.responseText };
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body);
      else reject(new ApiError(xhr.status, body as Problem));
    };
    xhr.send(file);
  });
}
