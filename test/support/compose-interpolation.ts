/** Compose's variable interpolation: every ${VAR} a document uses and those that silently become "". */
import { walkStrings, type ComposeDoc } from './compose-doc.js';

export interface Interpolation {
  /** Where in the document, e.g. services.api.environment.DATABASE_URL */
  at: string;
  name: string;
  /** '' for plain ${X} / $X; ':-', '-', ':+', '+' give a default; ':?', '?' mark it required. */
  operator: string;
}

/** Every ${VAR} the document interpolates ($$ is Compose's escape for a literal $). */
export function interpolations(doc: unknown): Interpolation[] {
  const found: Interpolation[] = [];
  walkStrings(doc, '', (at, text) => scan(text, at, found));
  return found;
}

function scan(text: string, at: string, out: Interpolation[]): void {
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== '$') continue;
    if (text[i + 1] === '$') {
      i++;
      continue;
    }
    if (text[i + 1] === '{') {
      let depth = 0;
      let close = -1;
      for (let j = i + 1; j < text.length && close < 0; j++) {
        if (text[j] === '{') depth++;
        else if (text[j] === '}' && --depth === 0) close = j;
      }
      if (close < 0) {
        out.push({ at, name: text.slice(i), operator: 'unterminated' });
        return;
      }
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([\s\S]*))?$/.exec(text.slice(i + 2, close));
      if (!m) out.push({ at, name: text.slice(i, close + 1), operator: 'invalid' });
      else {
        out.push({ at, name: m[1], operator: m[2] ?? '' });
        if (m[3]) scan(m[3], at, out); // a default may interpolate too
      }
      i = close;
      continue;
    }
    const bare = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1));
    if (bare) {
      out.push({ at, name: bare[0], operator: '' });
      i += bare[0].length;
    }
  }
}

export function interpolationProblems(doc: ComposeDoc): string[] {
  return interpolations(doc).flatMap(({ at, name, operator }) => {
    if (operator === 'unterminated' || operator === 'invalid') return [`${at}: malformed interpolation ${name}`];
    if (operator === '')
      return [`${at}: \${${name}} has neither a default (:-) nor a required marker (:?) and becomes "" when unset`];
    return [];
  });
}
