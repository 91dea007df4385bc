// Live events: one socket per tab that says at once when this tab's
// session ends on another device (the server closes it with 4403, reason
// SESSION_REVOKED, after the ENDED event), when another of the user's
// sessions opens or ends, and each new event of the user's security
// timeline (two subscriptions on the one socket).
import { type Client, createClient } from "graphql-ws";
import type { TimelineEventFragment } from "./gql/graphql";
import { SecurityEvents, SessionEvents } from "./operations";

export interface LiveHandlers {
  /** This tab's session has ended: `reason` is the session's end reason
   *  (PASSWORD_RESET, LOGOUT_ALL...) when its ENDED event came first, else
   *  the close's SESSION_REVOKED. */
  signedOut(reason: string): void;
  /** Another session of the user opened or ended. */
  changed(): void;
  /** A new event of the user's security timeline. */
  securityEvent(event: TimelineEventFragment): void;
  /** The socket's token was refused for another reason (an expired access
   *  token, say): refresh it and watch again. */
  refused(reason: string): void;
}

function isClose(event: unknown): event is CloseEvent {
  return typeof event === "object" && event !== null && "code" in event && "reason" in event;
}

/** Watches the user's sessions and security timeline with `token` until
 *  the returned function is called. */
export function watchSessions(graphqlUrl: string, token: string, on: LiveHandlers): () => void {
  let stopped = false;
  let endReason: string | null = null;
  const socket: Client = createClient({
    url: graphqlUrl.replace(/^http/, "ws"),
    connectionParams: { Authorization: `Bearer ${token}` },
    lazy: false,
    retryAttempts: 3,
    on: {
      closed: (event) => {
        if (stopped || !isClose(event) || event.code !== 4403) return;
        stopped = true;
        if (event.reason === "SESSION_REVOKED") on.signedOut(endReason ?? event.reason);
        else on.refused(event.reason);
      },
    },
  });
  const unsubscribe = socket.subscribe(
    { query: SessionEvents.toString() },
    {
      next: ({ data }) => {
        const event = data?.sessionEvents as { kind: string; current: boolean; reason?: string | null } | undefined;
        if (!event) return;
        if (event.kind === "ENDED" && event.current) {
          endReason = event.reason ?? null; // the close follows
          return;
        }
        on.changed();
      },
      error: () => {},
      complete: () => {},
    },
  );
  const unsubscribeTimeline = socket.subscribe(
    { query: SecurityEvents.toString() },
    {
      next: ({ data }) => {
        const event = data?.securityEvents as TimelineEventFragment | undefined;
        if (event) on.securityEvent(event);
      },
      error: () => {},
      complete: () => {},
    },
  );
  return () => {
    stopped = true;
    unsubscribe();
    unsubscribeTimeline();
    // dispose() awaits the socket's connection: when the server closed that
    // socket before it was acknowledged (a session ended while the tab
    // was still connecting), the promise rejects with the CloseEvent, which
    // nothing else would catch. The socket is gone either way.
    Promise.resolve(socket.dispose()).catch(() => {});
  };
}
