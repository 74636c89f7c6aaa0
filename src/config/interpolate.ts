import { visit, type Document, type Scalar } from 'yaml';

/**
 * Replaces `${VAR}` and `${VAR:-default}` inside string scalars with values from `env`. A plain
 * scalar that was wholly one reference is re-typed (`rateLimit: ${RATE}` gives a number), a quoted one
 * stays a string. Returns the references that had no value and no default, with their node offsets.
 */
export function interpolateEnv(doc: Document, env: NodeJS.ProcessEnv): { name: string; offset: number }[] {
  const missing: { name: string; offset: number }[] = [];
  visit(doc, {
    Scalar(_key, node: Scalar) {
      if (typeof node.value !== 'string' || !node.value.includes('${')) return;
      const source = node.value;
      const replaced = source.replace(
        /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g,
        (_m, name, fallback) => {
          const value = env[name as string];
          if (value !== undefined && value !== '') return value;
          if (fallback !== undefined) return fallback as string;
          missing.push({ name: name as string, offset: node.range?.[0] ?? 0 });
          return '';
        },
      );
      node.value = wholeReference(source) && node.type === 'PLAIN' ? retype(replaced) : replaced;
    },
  });
  return missing;
}

function wholeReference(text: string): boolean {
  return /^\$\{[^}]+\}$/.test(text);
}

function retype(text: string): unknown {
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  if (text === 'true' || text === 'false') return text === 'true';
  return text;
}
