// debian/copyright (machine-readable format 1.0) for the package: our code, and every npm package
// esbuild put into the bundles, found from the `// node_modules/<name>/...` path comments esbuild
// writes before each bundled module, so a new dependency cannot ship without its notice.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const EXPAT = `Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.`;

/** Licenses Debian ships in /usr/share/common-licenses: referred to, not copied. */
const COMMON_LICENSES = new Set(["Apache-2.0", "GPL-2.0", "GPL-3.0", "LGPL-2.1", "LGPL-3.0", "MPL-2.0"]);

/** The npm packages whose code is in the bundles `files` (paths), sorted. */
export function bundledPackages(files) {
  const names = new Set();
  for (const file of files) {
    for (const match of readFileSync(file, "utf8").matchAll(
      /^\/\/ node_modules\/((?:@[^/\s]+\/)?[^/\s]+)\//gm,
    )) {
      names.add(match[1]);
    }
  }
  return [...names].sort();
}

function licenseText(dir) {
  const name = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.(md|txt))?$/i.test(f));
  return name === undefined ? undefined : readFileSync(join(dir, name), "utf8");
}

function authorOf(pkg) {
  const author = typeof pkg.author === "string" ? pkg.author : pkg.author?.name;
  return (author ?? pkg.name).replace(/\s*[<(].*$/, "");
}

/** A field's continuation lines: one space of indent, blank lines as " .". */
function continuation(text) {
  return text
    .trim()
    .split("\n")
    .map((line) => (line.trim() === "" ? " ." : ` ${line.trimEnd()}`))
    .join("\n");
}

/** The copyright file's text; throws when a bundled package cannot be found or has no license. */
export function copyrightFile({ root, bundles }) {
  const paragraphs = [
    [
      "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/",
      "Upstream-Name: f2b-sophosxg",
      "Comment: The programs in /usr/share/f2b-sophosxg/dist are single-file bundles.",
      " Besides f2b-sophosxg itself they contain the npm packages listed below,",
      " unchanged; each paragraph names the package and the version bundled.",
    ].join("\n"),
    ["Files: *", "Copyright: f2b-sophosxg contributors", "License: Expat"].join("\n"),
  ];
  const licenses = new Map([["Expat", EXPAT]]);
  for (const name of bundledPackages(bundles)) {
    const dir = join(root, "node_modules", name);
    if (!existsSync(join(dir, "package.json")))
      throw new Error(`${name} is bundled but not in node_modules: run npm ci first`);
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    const spdx = pkg.license === "MIT" ? "Expat" : pkg.license;
    if (typeof spdx !== "string" || spdx === "")
      throw new Error(`${name} is bundled but declares no license: check it before shipping`);
    const text = licenseText(dir);
    const holders = (text ?? "")
      .split("\n")
      .filter((line) => /^\s*copyright\b/i.test(line) && !/notice|holders?\b/i.test(line))
      .map((line) => line.replace(/^\s*copyright\s*(\(c\)|©)?\s*/i, "").trim())
      // "Copyright (c) 2020" alone: the holder is the package's author.
      .map((holder) => (/[a-z]/i.test(holder) ? holder : `${holder} ${authorOf(pkg)}`));
    paragraphs.push(
      [
        `Files: node_modules/${name}/*`,
        `Copyright:${continuation(holders.length > 0 ? holders.join("\n") : authorOf(pkg))}`,
        `License: ${spdx}`,
        `Comment: ${name} ${pkg.version}, bundled into /usr/share/f2b-sophosxg/dist`,
      ].join("\n"),
    );
    if (!licenses.has(spdx)) {
      if (COMMON_LICENSES.has(spdx))
        licenses.set(spdx, `On Debian systems, the full text is in /usr/share/common-licenses/${spdx}.`);
      else if (text !== undefined)
        licenses.set(
          spdx,
          text
            .split("\n")
            .filter((line) => !/^\s*copyright\b/i.test(line))
            .join("\n"),
        );
      else throw new Error(`${name} (${spdx}) is bundled but ships no license text`);
    }
  }
  for (const [id, text] of licenses) paragraphs.push(`License: ${id}\n${continuation(text)}`);
  return `${paragraphs.join("\n\n")}\n`;
}
