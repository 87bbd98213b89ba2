// Validates Kubernetes manifests against their schemas (npm kubernetes-models, @kubernetes-models/keda and
// @kubernetes-models/prometheus-operator), or converts YAML to JSON for tests that check invariants.
//
//   node manifests.mjs validate FILE.yaml   → JSON: [{ apiVersion, kind, name, valid, error }]
//   node manifests.mjs json FILE.yaml       → JSON: every YAML document, as an array
//   node manifests.mjs rules FILE.yaml      → YAML: the spec of the PrometheusRule in FILE, a Prometheus rule file
import { readFileSync } from "node:fs";
import { parseAllDocuments, stringify } from "yaml";

const [mode, file] = process.argv.slice(2);
const documents = parseAllDocuments(readFileSync(file, "utf8"), { merge: true }).map((d) => d.toJS()).filter((d) => d != null);

if (mode === "json") {
  process.stdout.write(JSON.stringify(documents));
  process.exit(0);
}

if (mode === "rules") {
  const rules = documents.filter((d) => d.kind === "PrometheusRule");
  if (rules.length !== 1) {
    console.error(`${file}: expected one PrometheusRule, found ${rules.length}`);
    process.exit(1);
  }
  process.stdout.write(stringify(rules[0].spec, { lineWidth: 0 }));
  process.exit(0);
}

if (mode !== "validate") {
  console.error("usage: node manifests.mjs validate|json|rules FILE");
  process.exit(2);
}

// apiVersion "apps/v1" → module "kubernetes-models/apps/v1/<Kind>"; CRDs come from their own packages.
function modulePath(apiVersion, kind) {
  const group = apiVersion.includes("/") ? apiVersion.split("/")[0] : "";
  if (group === "keda.sh") return `@kubernetes-models/keda/${apiVersion}/${kind}`;
  if (group === "monitoring.coreos.com") return `@kubernetes-models/prometheus-operator/${apiVersion}/${kind}`;
  return `kubernetes-models/${apiVersion}/${kind}`;
}

const results = [];
for (const object of documents) {
  const entry = { apiVersion: object.apiVersion, kind: object.kind, name: object.metadata?.name ?? null, valid: false, error: null };
  try {
    const module = await import(modulePath(object.apiVersion, object.kind));
    const Model = module[object.kind] ?? module.default;
    new Model(object).validate();
    entry.valid = true;
  } catch (error) {
    entry.error = String(error?.message ?? error).slice(0, 2000);
  }
  results.push(entry);
}

process.stdout.write(JSON.stringify(results));
