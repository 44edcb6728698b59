// The official OpenAI SDK, unmodified, asking an LMaaS gateway for embeddings.
// usage: node sdk-embeddings.mjs <base URL ending in /v1> <api key> <embedding model>
import OpenAI from "openai";

const [baseURL, apiKey, model] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0 });
const input = ["the central bank cut interest rates", "央行宣布降息"];
const out = {};

// The SDK asks for base64 by default and decodes it itself; ask for floats too.
const base64 = await client.embeddings.create({ model, input });
const floats = await client.embeddings.create({ model, input, encoding_format: "float" });
out.base64 = base64.data.map((d) => Array.from(d.embedding));
out.float = floats.data.map((d) => d.embedding);
out.usage = floats.usage;
out.model = floats.model;
try {
  await client.embeddings.create({ model, input: "x", dimensions: 8 });
  out.dimensions = "accepted";
} catch (e) {
  out.dimensions = { type: e.constructor.name, status: e.status, code: e.code, param: e.param };
}
console.log(JSON.stringify(out));
