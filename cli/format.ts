/** Plain-text tables and bars for a terminal; --json bypasses all of this. */

export function table(rows: Array<Record<string, unknown>>, columns: string[]): string {
  const cell = (v: unknown) =>
    v === null || v === undefined
      ? '-'
      : typeof v === 'object'
        ? JSON.stringify(v)
        : `${v as string | number | boolean}`;
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.toUpperCase())), ...rows.map((r) => line(columns.map((c) => cell(r[c]))))].join(
    '\n',
  );
}

export function progressBar(done: number, total: number, width = 30): string {
  const ratio = total > 0 ? Math.min(1, done / total) : 0;
  const filled = Math.round(ratio * width);
  const percent = (ratio * 100).toFixed(0).padStart(3);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${percent}% ${mib(done)}/${mib(total)} MiB`;
}

function mib(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}

export function instanceSummary(i: any): Record<string, unknown> {
  return {
    id: i.id,
    name: i.name,
    status: i.status,
    task: i.taskState,
    host: i.host,
    flavor: i.flavor,
    ip: i.addresses?.map((a: any) => a.ip).join(',') || null,
    volumes: i.volumes?.map((v: any) => `${v.sizeGb}G:${v.device ?? '?'}`).join(',') || null,
  };
}
