// A TypeScript client of DictaMesh: types generated from the live OpenAPI document (openapi-typescript), calls
// through openapi-fetch. tsc type-checks it (a field the API does not have is a compile error), then node runs
// it against the live server: node out/check.js <base url> <steward token> <outsider token>.
import createClient from "openapi-fetch";
import type { components, paths } from "./api.js";

declare const process: { argv: string[] };

type Entity = components["schemas"]["Entity"];
type EntityIn = components["schemas"]["EntityIn"];
type Problem = components["schemas"]["Problem"];

const [base, token, outsiderToken] = process.argv.slice(2) as [string, string, string];
const steward = createClient<paths>({ baseUrl: base, headers: { Authorization: `Bearer ${token}` } });
const outsider = createClient<paths>({ baseUrl: base, headers: { Authorization: `Bearer ${outsiderToken}` } });

const body: EntityIn = {
  source: "crm", type: "table", source_key: "orders", name: "orders", domain: "sales",
  classification: "restricted", tags: ["finance"], owners: [{ principal: "user:root", role: "steward" }],
};
// @ts-expect-error the contract has no source_system: the compiler refuses it as the server does
const misspelt: EntityIn = { source_system: "crm", type: "table", source_key: "x", name: "x", domain: "sales" };

const created = await steward.POST("/api/v1/catalog/entities", { body });
const entity: Entity | undefined = created.data;
const urn = entity?.urn ?? "";
const read = await steward.GET("/api/v1/catalog/entities/{urn}", { params: { path: { urn } } });
const hidden = await outsider.GET("/api/v1/catalog/entities/{urn}", { params: { path: { urn } } });
const hiddenProblem: Problem | undefined = hidden.error;
const refused = await steward.POST("/api/v1/catalog/entities", { body: misspelt });
const searched = await steward.GET("/api/v1/catalog/search", { params: { query: { q: "orders" } } });

console.log(JSON.stringify({
  created: created.response.status, urn: entity?.urn, version: entity?.version, tags: entity?.tags,
  read: read.data?.name, classification: read.data?.classification,
  hidden: hidden.response.status, hiddenCode: hiddenProblem?.code,
  refused: refused.response.status, refusedFields: refused.error?.fields,
  found: searched.data?.items.map((hit) => hit.entity.urn),
}));
