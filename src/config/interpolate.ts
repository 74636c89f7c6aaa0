import { isPair, isScalar, isSeq, visit, type Document, type Scalar } from 'yaml';

/** A path into the config: mapping keys and list indexes. */
export type KeyPath = readonly (string | number)[];

/**
 * Replaces `${VAR}` and `${VAR:-default}` inside string scalars with values from `env`. A plain
 * scalar that was wholly one reference is re-typed (`rateLimit: ${RATE}` gives a number) unless the
 * schema wants text there (`wantsText`): a password or token of digits stays the string it is (a
 * 20-digit token re-typed came out mangled by float conversion). A quoted scalar always stays a string.
 * Returns the references that had no value and no default, with their node offsets.
 */
export function interpolateEnv(
  doc: Document,
  env: NodeJS.ProcessEnv,
  wantsText: (path: KeyPath) => boolean = () => false,
): { name: string; offset: number }[] {
  const missing: { name: string; offset: number }[] = [];
  visit(doc, {
    Scalar(_key, node: Scalar, ancestors) {
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
      const retypable =
        wholeReference(source) && node.type === 'PLAIN' && !wantsText(keyPath(ancestors, node));
      node.value = retypable ? retype(replaced) : replaced;
    },
  });
  return missing;
}

/** The mapping keys and list indexes that lead from the document to `node`. */
function keyPath(ancestors: readonly unknown[], node: unknown): KeyPath {
  const chain = [...ancestors, node];
  const path: (string | number)[] = [];
  for (let i = 0; i < chain.length - 1; i++) {
    const here = chain[i];
    const next = chain[i + 1];
    if (isPair(here) && here.value === next && isScalar(here.key)) path.push(String(here.key.value));
    else if (isSeq(here)) path.push(here.items.indexOf(next as never));
  }
  return path;
}

function wholeReference(text: string): boolean {
  return /^\$\{[^}]+\}$/.test(text);
}

function retype(text: string): unknown {
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  if (text === 'true' || text === 'false') return text === 'true';
  return text;
}
