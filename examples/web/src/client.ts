// A small GraphQL client for authql from a page on another origin.
//
// - The access token lives in this module's memory only: never in
//   localStorage, sessionStorage or a readable cookie, so a script injected
//   into the page later cannot find it there.
// - The refresh token is the HttpOnly `authql_refresh` cookie: the browser
//   sends it (`credentials: "include"`), JavaScript never sees it.
// - A call answered TOKEN_EXPIRED refreshes once (one refresh shared by all
//   calls waiting on it) and is sent again.
// - SESSION_REVOKED, or a refresh that fails, means signed out.
// - A call answered REAUTHENTICATION_REQUIRED asks the person to prove who
//   they are (`reauthenticator`, one prompt shared by all calls waiting on
//   it), which swaps in the new access token, and is sent again. The refused
//   call changed nothing, so sending it again is safe.
import type { TypedDocumentString } from "./gql/graphql";

/** An error answer of the API, with the contract's code. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** The error's other extensions (mfaToken, requiredAal...). */
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(message);
  }

  /** The assurance level a REAUTHENTICATION_REQUIRED asks for: 2 means a
   *  second factor, 1 the password. */
  get requiredAal(): 1 | 2 {
    return this.extensions.requiredAal === 2 ? 2 : 1;
  }

  /** The session is over: the user has to sign in again. */
  get signedOut(): boolean {
    return ["SESSION_REVOKED", "UNAUTHENTICATED", "INVALID_REFRESH_TOKEN", "REFRESH_TOKEN_REUSED"].includes(
      this.code,
    );
  }
}

type Answer<R> = {
  data?: R | null;
  errors?: { message: string; extensions?: { code?: string } & Record<string, unknown> }[];
};

/** Proves a credential again after `refusal` (a REAUTHENTICATION_REQUIRED)
 *  and keeps the new access token with `useToken`; throws when the person
 *  gives up. */
export type Reauthenticator = (refusal: ApiError) => Promise<void>;

export class AuthqlClient {
  #accessToken: string | null = null;
  #refreshing: Promise<void> | null = null;
  #reauthenticating: Promise<void> | null = null;
  /** Set by the page: the prompt that REAUTHENTICATION_REQUIRED opens. */
  reauthenticator: Reauthenticator | null = null;

  constructor(
    readonly url: string,
    private readonly refreshDocument: TypedDocumentString<{ refreshToken: { accessToken: string } }, Record<string, never>>,
  ) {}

  get signedIn(): boolean {
    return this.#accessToken !== null;
  }

  /** The access token in memory, for the live-events socket. */
  get bearer(): string | null {
    return this.#accessToken;
  }

  /** Keeps a new access token (from login). */
  useToken(accessToken: string): void {
    this.#accessToken = accessToken;
  }

  forget(): void {
    this.#accessToken = null;
  }

  /** Trades the refresh cookie for a new access token. */
  refresh(): Promise<void> {
    this.#refreshing ??= this.#send(this.refreshDocument, {}, false)
      .then((data) => {
        this.#accessToken = data.refreshToken.accessToken;
      })
      .catch((error: unknown) => {
        this.#accessToken = null;
        throw error;
      })
      .finally(() => {
        this.#refreshing = null;
      });
    return this.#refreshing;
  }

  /** Runs an operation with the bearer token, refreshing it when it
   *  expired, and re-authenticating when the server asks for a recent proof. */
  async call<R, V>(document: TypedDocumentString<R, V>, variables: V): Promise<R> {
    try {
      return await this.callWithoutPrompt(document, variables);
    } catch (error) {
      if (!(error instanceof ApiError) || error.code !== "REAUTHENTICATION_REQUIRED" || !this.reauthenticator) {
        throw error;
      }
      this.#reauthenticating ??= this.reauthenticator(error).finally(() => {
        this.#reauthenticating = null;
      });
      await this.#reauthenticating;
    }
    return this.callWithoutPrompt(document, variables);
  }

  /** As `call`, but a REAUTHENTICATION_REQUIRED is thrown as it is: for the
   *  prompt's own `reauthenticate`, which must not open another prompt. */
  async callWithoutPrompt<R, V>(document: TypedDocumentString<R, V>, variables: V): Promise<R> {
    try {
      return await this.#send(document, variables, true);
    } catch (error) {
      if (!(error instanceof ApiError) || error.code !== "TOKEN_EXPIRED") throw error;
    }
    await this.refresh();
    return this.#send(document, variables, true);
  }

  /** Runs an operation that needs no bearer token (login). */
  anonymous<R, V>(document: TypedDocumentString<R, V>, variables: V): Promise<R> {
    return this.#send(document, variables, false);
  }

  async #send<R, V>(document: TypedDocumentString<R, V>, variables: V, bearer: boolean): Promise<R> {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (bearer && this.#accessToken) headers.authorization = `Bearer ${this.#accessToken}`;
    const response = await fetch(this.url, {
      method: "POST",
      credentials: "include",
      headers,
      body: JSON.stringify({ query: document.toString(), variables }),
    });
    const answer = (await response.json()) as Answer<R>;
    const error = answer.errors?.[0];
    if (error) {
      if (error.extensions?.code === "SESSION_REVOKED") this.#accessToken = null;
      throw new ApiError(error.extensions?.code ?? "INTERNAL_SERVER_ERROR", error.message, error.extensions);
    }
    if (!answer.data) throw new ApiError("INTERNAL_SERVER_ERROR", "an answer without data");
    return answer.data;
  }
}
