// The official OpenAI SDK, unmodified, against an LMaaS gateway.
// usage: node sdk-check.mjs <base URL ending in /v1> <api key> <generation model>
import OpenAI from "openai";

const [baseURL, apiKey, model] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0 });
const out = {};

out.models = (await client.models.list()).data.map((m) => m.id);

const completion = await client.completions.create({ model, prompt: "the storm", max_tokens: 8, temperature: 0 });
out.completion = { text: completion.choices[0].text, finish: completion.choices[0].finish_reason, usage: completion.usage };

const chat = await client.chat.completions.create({
  model, messages: [{ role: "user", content: "the striker" }], max_tokens: 8, temperature: 0,
});
out.chat = { role: chat.choices[0].message.role, content: chat.choices[0].message.content, usage: chat.usage };

let streamed = "";
let streamUsage = null;
const stream = await client.chat.completions.create({
  model, messages: [{ role: "user", content: "the striker" }], max_tokens: 8, temperature: 0, stream: true,
  stream_options: { include_usage: true },
});
for await (const chunk of stream) {
  if (chunk.choices.length > 0) streamed += chunk.choices[0].delta.content ?? "";
  if (chunk.usage) streamUsage = chunk.usage;
}
out.stream = { content: streamed, usage: streamUsage };

try {
  await new OpenAI({ baseURL, apiKey: "lm-aaaaaaaaaaaa-" + "a".repeat(40), maxRetries: 0 }).models.list();
  out.badKey = "accepted";
} catch (e) {
  out.badKey = { type: e.constructor.name, status: e.status, code: e.code };
}
try {
  await client.completions.create({ model: "no-such-model", prompt: "x" });
  out.missingModel = "accepted";
} catch (e) {
  out.missingModel = { type: e.constructor.name, status: e.status, code: e.code };
}
console.log(JSON.stringify(out));
