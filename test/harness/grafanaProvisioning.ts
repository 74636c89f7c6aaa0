/**
 * How Grafana reads environment variables into a provisioning file, modelled from its code: every
 * string value goes through pkg/services/provisioning/values/values.go interpolateValue, which splits
 * on `$$` (a literal `$`), expands `$__env{NAME}` (pkg/setting/expanders.go) and then Go's
 * os.ExpandEnv: `$NAME` and `${NAME}`, an unset variable being empty. Go knows no `${NAME:-default}`:
 * the whole `NAME:-default` is taken as a name, which no environment holds, so it is empty too.
 */
type Env = Record<string, string | undefined>;

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

/** One string value of a provisioning file as Grafana reads it. */
export function expandEnv(value: string, env: Env): string {
  return value
    .split('$$')
    .map((part) =>
      goExpandEnv(
        part.replace(/\$__env\{([^}]*)\}/g, (_, name: string) => env[name] ?? ''),
        env,
      ),
    )
    .join('$');
}

/** Every string of a parsed provisioning document expanded (as values.JSONValue does for settings). */
export function expandAll<T>(document: T, env: Env): T {
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') return expandEnv(value, env);
    if (Array.isArray(value)) return value.map(walk);
    if (value && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v)]));
    return value;
  };
  return walk(document) as T;
}
