/**
 * How Grafana reads environment variables and files into a provisioning file, modelled from its
 * code: every string value goes through pkg/services/provisioning/values/values.go interpolateValue,
 * which splits on `$$` (a literal `$`), runs setting.ExpandVar (pkg/setting/expanders.go) on each
 * part and then Go's os.ExpandEnv: `$NAME` and `${NAME}`, an unset variable being empty. Go knows no
 * `${NAME:-default}`: the whole `NAME:-default` is taken as a name, which no environment holds, so it
 * is empty too.
 *
 * ExpandVar runs its expanders in order, each over the previous one's result: `env` (priority -10)
 * replaces `${NAME}` and `$__env{NAME}`, then `file` (-5) replaces `$__file{path}` by the file's
 * content, whitespace trimmed (an unreadable file is an error, which stops the provisioning). So an
 * environment variable whose value is `$__file{path}`, referenced as `${NAME}`, becomes the file's
 * content: that is how compose hands Grafana a password as a Docker secret.
 */
type Env = Record<string, string | undefined>;
/** The files Grafana's container can read (path → content); undefined: it cannot. */
export type Files = (path: string) => string | undefined;

const EXPANDER = /\$(|__\w+)\{([^}]+)\}/g;

/** One expander of pkg/setting/expanders.go applyExpander: every match found first, each replaced once. */
function applyExpander(text: string, applies: (prefix: string) => boolean, expand: (arg: string) => string) {
  let out = text;
  for (const [whole, prefix, arg] of text.matchAll(EXPANDER))
    if (applies(prefix!)) {
      const updated = expand(arg!);
      out = out.replace(whole, () => updated);
    }
  return out;
}

function expandVar(text: string, env: Env, files: Files): string {
  const afterEnv = applyExpander(
    text,
    (prefix) => prefix === '' || prefix === '__env',
    (name) => env[name] ?? '',
  );
  return applyExpander(
    afterEnv,
    (prefix) => prefix === '__file',
    (path) => {
      const content = files(path);
      if (content === undefined) throw new Error(`Grafana cannot read $__file{${path}}`);
      return content.trim();
    },
  );
}

/** Go's os.Expand with os.Getenv over `env` (src/os/env.go: getShellName, isShellSpecialVar). */
function goExpandEnv(text: string, env: Env): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== '$' || i + 1 >= text.length) {
      out += text[i];
      continue;
    }
    const rest = text.slice(i + 1);
    let name = '';
    let width = 0;
    if (rest[0] === '{') {
      const close = rest.indexOf('}');
      if (close === -1)
        width = 1; // bad syntax: "${" is eaten
      else {
        name = rest.slice(1, close);
        width = close + 1;
      }
    } else if (/^[*#$@!?\-0-9]/.test(rest)) {
      name = rest[0]!;
      width = 1;
    } else {
      name = /^[A-Za-z0-9_]*/.exec(rest)![0];
      width = name.length;
    }
    if (name === '' && width === 0)
      out += '$'; // a lone $: kept
    else if (name !== '') out += env[name] ?? '';
    i += width;
  }
  return out;
}

const NO_FILES: Files = () => undefined;

/** One string value of a provisioning file as Grafana reads it. */
export function expandEnv(value: string, env: Env, files: Files = NO_FILES): string {
  return value
    .split('$$')
    .map((part) => goExpandEnv(expandVar(part, env, files), env))
    .join('$');
}

/** Every string of a parsed provisioning document expanded (as values.JSONValue does for settings). */
export function expandAll<T>(document: T, env: Env, files: Files = NO_FILES): T {
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') return expandEnv(value, env, files);
    if (Array.isArray(value)) return value.map(walk);
    if (value && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v)]));
    return value;
  };
  return walk(document) as T;
}
