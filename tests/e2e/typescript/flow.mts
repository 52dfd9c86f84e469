// Keel's account flow through openapi-fetch, typed by openapi-typescript from Keel's OpenAPI document.
// `tsc --strict` checks every path, body, response and problem code below against the document:
// tests/e2e/test_typescript_client.py generates keel.ts from the served document beside a copy of
// this file, compiles both with this tsconfig.json, and runs accountFlow against the served Keel.
import createClient from "openapi-fetch";
import type { components, paths } from "./keel.js";

export type User = components["schemas"]["User"];

export interface FlowResult {
  registered: User;
  me: User;
  wrongPasswordCode: string;
}

export async function accountFlow(baseUrl: string, email: string, password: string): Promise<FlowResult> {
  const keel = createClient<paths>({ baseUrl });

  const registered = await keel.POST("/api/v1/auth/register", {
    body: { email, password, name: "TypeScript Client" },
  });
  if (registered.error) {
    throw new Error(`register answered ${registered.response.status} ${registered.error.code}`);
  }

  const login = await keel.POST("/api/v1/auth/login", { body: { email, password } });
  if (login.error) {
    throw new Error(`login answered ${login.response.status} ${login.error.code}`);
  }
  const accessToken: string = login.data.access_token;

  const me = await keel.GET("/api/v1/users/me", {
    headers: { Authorization: `Bearer ${accessToken}` },
  });
  if (me.error) {
    throw new Error(`GET /users/me answered ${me.response.status} ${me.error.code}`);
  }

  const wrong = await keel.POST("/api/v1/auth/login", {
    body: { email, password: `${password}-wrong` },
  });
  if (wrong.error && wrong.error.code === "invalid_credentials") {
    return { registered: registered.data, me: me.data, wrongPasswordCode: wrong.error.code };
  }
  throw new Error(`a wrong password answered ${wrong.response.status}, not invalid_credentials`);
}
