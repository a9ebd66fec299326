"""``/api/docs``: one self-contained page (inline CSS and JS, nothing fetched but ``openapi.json``).

Operations grouped by tag, each with method, path, summary and role; its description, parameters, body and
answers fold out, schemas shown as JSON with ``$ref``s resolved. Text goes in with ``textContent`` only.
"""

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>OPD token system: REST API</title>
<style>
  body { margin: 0 auto; max-width: 70rem; padding: 1rem 1.5rem; font: 15px/1.45 system-ui, sans-serif;
         color: #1d1d1f; }
  h2 { margin: 2rem 0 0.2rem; text-transform: capitalize; border-bottom: 2px solid #ddd; }
  .tag { color: #555; margin: 0 0 0.6rem; }
  details.op { border: 1px solid #ddd; border-radius: 6px; margin: 0.4rem 0; }
  details.op > summary { cursor: pointer; padding: 0.45rem 0.7rem; display: flex; gap: 0.8rem;
                         align-items: baseline; }
  .method { font: 700 0.8rem monospace; width: 3.6rem; text-align: center; border-radius: 4px; padding: 2px 0;
            color: #fff; background: #666; }
  .get { background: #1f6fb2; } .post { background: #2b8a3e; } .put { background: #b26b00; }
  .path { font-family: monospace; font-weight: 600; }
  .role { margin-left: auto; font-size: 0.8rem; padding: 1px 8px; border-radius: 10px; background: #eee; }
  .role.public { background: #e3f4e3; }
  .body { padding: 0 1rem 0.8rem; }
  .desc { white-space: pre-wrap; }
  table { border-collapse: collapse; margin: 0.3rem 0; }
  td, th { text-align: left; padding: 2px 10px 2px 0; vertical-align: top; }
  code, pre { font-family: ui-monospace, monospace; font-size: 0.85rem; }
  pre { background: #f6f8fa; padding: 0.6rem; overflow: auto; max-height: 28rem; margin: 0.3rem 0; }
  details.schema > summary { cursor: pointer; }
</style>
</head>
<body>
<h1>OPD token system: REST API</h1>
<p id="intro">Loading <a href="openapi.json">openapi.json</a>…</p>
<main id="ops"></main>
<script>
"use strict";
function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (cls) node.className = cls;
  return node;
}
function resolve(spec, schema, seen) {
  if (Array.isArray(schema)) return schema.map((item) => resolve(spec, item, seen));
  if (!schema || typeof schema !== "object") return schema;
  if (typeof schema.$ref === "string") {
    const name = schema.$ref.split("/").pop();
    if (seen.includes(name)) return { $ref: name };
    const target = schema.$ref.replace(/^#\\//, "").split("/").reduce((node, key) => node[key], spec);
    return resolve(spec, target, seen.concat([name]));
  }
  const out = {};
  for (const [key, value] of Object.entries(schema)) out[key] = resolve(spec, value, seen);
  return out;
}
function schemaBlock(spec, label, schema) {
  const box = el("details", undefined, "schema");
  box.append(el("summary", label), el("pre", JSON.stringify(resolve(spec, schema, []), null, 2)));
  return box;
}
function operation(spec, path, method, op) {
  const box = el("details", undefined, "op");
  const head = el("summary");
  const role = op["x-required-role"] || "public";
  head.append(el("span", method.toUpperCase(), "method " + method), el("span", path, "path"),
              el("span", op.summary || ""), el("span", role, "role " + role));
  const body = el("div", undefined, "body");
  body.append(el("p", op.description || "", "desc"));
  if ((op.parameters || []).length) {
    const table = el("table");
    const header = el("tr");
    header.append(el("th", "parameter"), el("th", "in"), el("th", "schema"), el("th", "meaning"));
    table.append(header);
    for (const p of op.parameters) {
      const row = el("tr");
      row.append(el("td", p.name + (p.required ? " *" : "")), el("td", p.in),
                 el("td", JSON.stringify(p.schema)), el("td", p.description || ""));
      table.append(row);
    }
    body.append(el("h4", "Parameters"), table);
  }
  if (op.requestBody) {
    const content = op.requestBody.content["application/json"];
    body.append(el("h4", "Body" + (op.requestBody.required ? "" : " (optional)")),
                schemaBlock(spec, "application/json", content.schema));
  }
  body.append(el("h4", "Answers"));
  for (const [status, answer] of Object.entries(op.responses)) {
    const resolved = resolve(spec, answer, []);
    const media = Object.entries(resolved.content || {});
    if (!media.length) body.append(el("div", status + " " + resolved.description));
    for (const [type, content] of media) {
      body.append(schemaBlock(spec, status + " " + resolved.description + " (" + type + ")", content.schema));
    }
  }
  box.append(head, body);
  return box;
}
async function main() {
  const spec = await (await fetch("openapi.json")).json();
  document.getElementById("intro").textContent = spec.info.description + " (version " + spec.info.version +
    ", OpenAPI " + spec.openapi + ")";
  const main = document.getElementById("ops");
  for (const tag of spec.tags) {
    main.append(el("h2", tag.name), el("p", tag.description, "tag"));
    for (const [path, item] of Object.entries(spec.paths)) {
      for (const [method, op] of Object.entries(item)) {
        if ((op.tags || []).includes(tag.name)) main.append(operation(spec, path, method, op));
      }
    }
  }
}
main().catch((error) => { document.getElementById("intro").textContent = "Could not load the API: " + error; });
</script>
</body>
</html>
"""
