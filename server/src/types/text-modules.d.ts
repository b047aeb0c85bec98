// Files esbuild embeds as strings (loader 'text' in scripts/build.mjs).
declare module '*.bpf.s' {
  const text: string;
  export default text;
}
