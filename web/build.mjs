// npm run build: src/ -> dist/rehab-chat.js (one minified IIFE, CSS inlined) + dist/chat.html.
// Deterministic: no timestamps or absolute paths end up in the output.

import { build, transform } from "esbuild";
import { copyFile, mkdir, readFile, rm } from "node:fs/promises";

// `import css from "./styles.css"` -> the minified stylesheet as a string, for the shadow root.
const cssAsText = {
  name: "css-as-text",
  setup(b) {
    b.onLoad({ filter: /\.css$/ }, async ({ path }) => {
      const { code } = await transform(await readFile(path, "utf8"), { loader: "css", minify: true });
      return { contents: `export default ${JSON.stringify(code.trim())};`, loader: "js" };
    });
  },
};

await rm("dist", { recursive: true, force: true });
await mkdir("dist");
await build({
  entryPoints: ["src/index.js"],
  outfile: "dist/rehab-chat.js",
  bundle: true,
  format: "iife",
  platform: "browser",
  target: "es2020",
  minify: true,
  legalComments: "eof",
  charset: "utf8",
  define: { "process.env.NODE_ENV": '"production"' },
  plugins: [cssAsText],
  logLevel: "warning",
});
await copyFile("chat.html", "dist/chat.html");
