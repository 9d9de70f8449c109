/** The OpenAPI 3.1 document, generated from the zod schemas. */
import { z } from "zod";
import { runRequestSchema } from "./run_request.ts";
import { errorBodySchema, healthSchema, runResponseSchema, runtimesSchema } from "./schemas.ts";

type Json = Record<string, unknown>;

const schema = (s: z.ZodType, io: "input" | "output" = "output"): Json => {
  const { $schema: _, ...rest } = z.toJSONSchema(s, { io, unrepresentable: "any" });
  return rest;
};

const json = (ref: string, description: string) => ({
  description,
  content: { "application/json": { schema: { $ref: `#/components/schemas/${ref}` } } },
});
const error = (description: string, retryAfter = false) => ({
  ...json("Error", description),
  ...(retryAfter
    ? { headers: { "Retry-After": { schema: { type: "integer" }, description: "Seconds" } } }
    : {}),
});

/** Builds the document; `auth` adds the bearer scheme and 401 answers. */
export function openApiDocument(version: string, auth: boolean): Json {
  const unauthorized = auth ? { 401: error("Missing or invalid API key") } : {};
  return {
    openapi: "3.1.0",
    info: {
      title: "faas-sandbox",
      version,
      description: "Run untrusted Python, JavaScript and TypeScript snippets in a sandbox.",
    },
    ...(auth ? { security: [{ bearer: [] }] } : {}),
    paths: {
      "/run_code": {
        post: {
          summary: "Run a snippet",
          requestBody: {
            required: true,
            content: {
              "application/json": { schema: { $ref: "#/components/schemas/RunRequest" } },
            },
          },
          responses: {
            200: json("RunResponse", "The code ran, whatever it did; see metadata.status"),
            400: error("Invalid JSON or fields; details name each field"),
            ...unauthorized,
            404: error("No such route"),
            405: error("Wrong method"),
            413: error("Body over FAAS_MAX_BODY_BYTES"),
            429: error("Queue full, or a per-key limit reached", true),
            503: error("Starting, draining, or queued longer than FAAS_MAX_QUEUE_WAIT", true),
          },
        },
      },
      "/health": {
        get: {
          summary: "Readiness: 200 once every language has a warm instance",
          security: [],
          responses: {
            200: json("Health", "Serving"),
            503: json("Health", "Starting or draining"),
          },
        },
      },
      "/health/live": {
        get: {
          summary: "Liveness",
          security: [],
          responses: { 200: { description: "The process serves" } },
        },
      },
      "/metrics": {
        get: {
          summary: "Prometheus metrics",
          security: [],
          responses: {
            200: { description: "Prometheus text", content: { "text/plain": {} } },
            ...unauthorized,
          },
        },
      },
      "/runtimes": {
        get: {
          summary: "Languages, versions, Python packages and JS globals",
          security: [],
          responses: {
            200: json("Runtimes", "What each language offers a run"),
            ...unauthorized,
          },
        },
      },
      "/openapi.json": {
        get: {
          summary: "This document",
          security: [],
          responses: { 200: { description: "OpenAPI 3.1" } },
        },
      },
      "/docs": {
        get: {
          summary: "Interactive documentation",
          security: [],
          responses: { 200: { description: "HTML page", content: { "text/html": {} } } },
        },
      },
    },
    components: {
      schemas: {
        RunRequest: schema(runRequestSchema, "input"),
        RunResponse: schema(runResponseSchema),
        Error: schema(errorBodySchema),
        Health: schema(healthSchema),
        Runtimes: schema(runtimesSchema),
      },
      ...(auth ? { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } } : {}),
    },
  };
}
