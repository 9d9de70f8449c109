/** The service's own routes in the OpenAPI document (`openapi.ts`): health, metrics, docs. */
import type { PathHelpers } from "./openapi_jobs.ts";

type Json = Record<string, unknown>;

/** Health, readiness, metrics, the runtimes, the document itself and its page. */
export function servicePaths({ json, unauthorized }: PathHelpers): Json {
  return {
    "/health": {
      get: {
        operationId: "getHealth",
        summary: "Readiness: 200 once every language has a warm instance",
        security: [],
        responses: {
          200: json("Health", "Serving"),
          503: json("Health", "Starting, draining, or a language cannot serve (degraded)"),
        },
      },
    },
    "/": {
      get: {
        operationId: "getHome",
        summary: "Where to start: the main routes (JSON), or a short page for browsers",
        security: [],
        responses: { 200: { description: "Links to /docs, /health and /run_code" } },
      },
    },
    "/health/live": {
      get: {
        operationId: "getLiveness",
        summary: "Liveness",
        security: [],
        responses: { 200: { description: "The process serves" } },
      },
    },
    "/metrics": {
      get: {
        operationId: "getMetrics",
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
        operationId: "getRuntimes",
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
        operationId: "getOpenApi",
        summary: "This document",
        security: [],
        responses: { 200: { description: "OpenAPI 3.1" } },
      },
    },
    "/docs": {
      get: {
        operationId: "getDocs",
        summary: "Interactive documentation",
        security: [],
        responses: { 200: { description: "HTML page", content: { "text/html": {} } } },
      },
    },
  };
}
