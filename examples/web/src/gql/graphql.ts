/* eslint-disable */
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
export type Maybe<T> = T | null;
export type InputMaybe<T> = Maybe<T>;
export type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
export type MakeOptional<T, K extends keyof T> = Omit<T, K> & { [SubKey in K]?: Maybe<T[SubKey]> };
export type MakeMaybe<T, K extends keyof T> = Omit<T, K> & { [SubKey in K]: Maybe<T[SubKey]> };
export type MakeEmpty<T extends { [key: string]: unknown }, K extends keyof T> = { [_ in K]?: never };
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  /** An RFC 3339 date-time in UTC, for example "2026-11-28T09:39:11Z". */
  DateTime: { input: string; output: string; }
};

/**
 * Whether a user may sign in (the schema's mirror of the vocabulary's
 * enum, converted variant by variant).
 */
export type AccountStatus =
  | 'ACTIVE'
  | 'DISABLED'
  /** Signed up; the address is not verified yet. */
  | 'UNVERIFIED';

export type AdminUser = {
  __typename?: 'AdminUser';
  createdAt: Scalars['DateTime']['output'];
  email?: Maybe<Scalars['String']['output']>;
  emailVerified: Scalars['Boolean']['output'];
  id: Scalars['ID']['output'];
  /**
   * When the user's latest session opened (any way of signing in;
   * refreshes do not move it). Null when none is on record.
   */
  lastSignInAt?: Maybe<Scalars['DateTime']['output']>;
  mfa: MfaStatus;
  role: Scalars['String']['output'];
  /**
   * The user's security events, newest first: at most `first` (1 to
   * 200), older than the event `before` when given.
   */
  securityEvents: Array<SecurityEvent>;
  /** Open sessions, the most recently active first. */
  sessions: Array<Session>;
  status: AccountStatus;
  userName: Scalars['String']['output'];
};


export type AdminUserSecurityEventsArgs = {
  before?: InputMaybe<Scalars['ID']['input']>;
  first?: Scalars['Int']['input'];
};

export type AuditEntry = {
  __typename?: 'AuditEntry';
  /** The admin mutation's name, such as "setUserStatus". */
  action: Scalars['String']['output'];
  actorId: Scalars['ID']['output'];
  /** The admin's user name (empty when that account no longer exists). */
  actorName: Scalars['String']['output'];
  at: Scalars['DateTime']['output'];
  /** What changed, such as "DISABLED"; never a secret. */
  detail?: Maybe<Scalars['String']['output']>;
  id: Scalars['ID']['output'];
  ipAddress?: Maybe<Scalars['String']['output']>;
  targetUserId?: Maybe<Scalars['ID']['output']>;
};

export type AuthPayload = {
  __typename?: 'AuthPayload';
  /** A signed JWT to send as `Authorization: Bearer <accessToken>`. */
  accessToken: Scalars['String']['output'];
  /** Seconds until accessToken expires. */
  expiresIn: Scalars['Int']['output'];
  /**
   * Opaque. Send it to refreshToken once; the answer holds the next one.
   * Null when the refresh token was set as a cookie instead.
   */
  refreshToken?: Maybe<Scalars['String']['output']>;
  /** When the refresh token stops working if it is not used before then. */
  refreshTokenExpiresAt: Scalars['DateTime']['output'];
  /** The session these tokens belong to. */
  session: Session;
  /** Always "Bearer". */
  tokenType: Scalars['String']['output'];
  user: User;
};

/** The current and the new password of a password change. */
export type ChangePasswordInput = {
  currentPassword: Scalars['String']['input'];
  /** End every other session of the user (the default). */
  endOtherSessions?: Scalars['Boolean']['input'];
  newPassword: Scalars['String']['input'];
};

/** The second step of a login. */
export type CompleteLoginInput = {
  /**
   * A six-digit code from the TOTP app. Give exactly one of code and
   * recoveryCode.
   */
  code?: InputMaybe<Scalars['String']['input']>;
  /** extensions.mfaToken of the MFA_REQUIRED error that login answered. */
  mfaToken: Scalars['String']['input'];
  recoveryCode?: InputMaybe<Scalars['String']['input']>;
};

/** The authenticator's answer to a sign-in. */
export type FinishPasskeyLoginInput = {
  challengeId: Scalars['ID']['input'];
  /** JSON text of the AuthenticationResponseJSON (credential.toJSON()). */
  credential: Scalars['String']['input'];
  deviceInfo?: InputMaybe<Scalars['String']['input']>;
  refreshTokenDelivery?: RefreshTokenDelivery;
};

/** The authenticator's answer to a registration. */
export type FinishPasskeyRegistrationInput = {
  challengeId: Scalars['ID']['input'];
  /** JSON text of the RegistrationResponseJSON (credential.toJSON()). */
  credential: Scalars['String']['input'];
  label?: InputMaybe<Scalars['String']['input']>;
};

/** The credentials and device label of a login. */
export type LoginInput = {
  /** A label the client chooses for this device, such as "Firefox on Linux". */
  deviceInfo?: InputMaybe<Scalars['String']['input']>;
  password: Scalars['String']['input'];
  /** BODY (the default) or COOKIE. */
  refreshTokenDelivery?: RefreshTokenDelivery;
  userName: Scalars['String']['input'];
};

export type MfaStatus = {
  __typename?: 'MfaStatus';
  /** How many passkeys the user has. */
  passkeys: Scalars['Int']['output'];
  /** How many recovery codes are still unused. */
  recoveryCodesLeft: Scalars['Int']['output'];
  /** Whether TOTP is on: signing in then takes a code too. */
  totp: Scalars['Boolean']['output'];
};

/**
 * Every mutation field: the sessions' (here), the accounts' and the
 * second factors'.
 */
export type Mutation = {
  __typename?: 'Mutation';
  /**
   * Starts a sign-in with a passkey (discoverable credentials: no user
   * name). Needs no bearer token.
   */
  beginPasskeyLogin: PasskeyOptions;
  /**
   * Starts registering a passkey for the signed-in user. Needs recent
   * authentication.
   */
  beginPasskeyRegistration: PasskeyOptions;
  /**
   * Starts changing the signed-in user's address: a verification mail goes to
   * the new one, which replaces the old once verified. Needs recent
   * authentication.
   */
  changeEmail: Scalars['Boolean']['output'];
  /**
   * Changes the signed-in user's password after checking the current one.
   * Ends the user's other sessions unless endOtherSessions is false; the
   * caller's session stays open. Returns how many sessions were ended.
   */
  changePassword: Scalars['Int']['output'];
  /**
   * Finishes a login that answered MFA_REQUIRED, with a TOTP code or a
   * recovery code, and opens the session.
   */
  completeLogin: AuthPayload;
  /**
   * Turns the enrolled TOTP on with a first code from the app. Returns the
   * ten recovery codes, shown this once.
   */
  confirmTotp: Array<Scalars['String']['output']>;
  /**
   * Turns TOTP off and deletes the recovery codes. Needs recent
   * authentication at assurance level 2.
   */
  disableTotp: Scalars['Boolean']['output'];
  /**
   * Admin only: ends one session of a user, or all of them. Returns how many
   * ended.
   */
  endUserSessions: Scalars['Int']['output'];
  /** Starts adding a TOTP authenticator app. Needs recent authentication. */
  enrollTotp: TotpEnrollment;
  /** Finishes a passkey sign-in and opens a session. */
  finishPasskeyLogin: AuthPayload;
  /** Finishes a registration with the authenticator's answer. */
  finishPasskeyRegistration: Passkey;
  /** Admin only: mails an invitation to create an account with this role. */
  inviteUser: Scalars['Boolean']['output'];
  /**
   * Checks a user name and password and opens a new session for this device.
   * Other sessions of the same user stay open.
   */
  login: AuthPayload;
  /** Ends the session of the bearer token. Returns true. */
  logout: Scalars['Boolean']['output'];
  /**
   * Ends every session of the signed-in user, or every one but the caller's
   * with exceptCurrent. Returns how many sessions were ended.
   */
  logoutAll: Scalars['Int']['output'];
  /**
   * Ends one of the signed-in user's own sessions (the current one too).
   * Returns true.
   */
  logoutSession: Scalars['Boolean']['output'];
  /**
   * Proves a credential again inside the current session, for operations that
   * need recent authentication. Returns a fresh access token for the session.
   */
  reauthenticate: ReauthPayload;
  /**
   * Trades a refresh token for a new access token and a new refresh token.
   * The presented refresh token is used up (rotation). Needs no bearer token.
   * Without the argument, the refresh cookie is used, and the answer's
   * refresh token goes into the cookie too.
   */
  refreshToken: AuthPayload;
  /**
   * Replaces the recovery codes with ten new ones. Needs recent
   * authentication at assurance level 2.
   */
  regenerateRecoveryCodes: Array<Scalars['String']['output']>;
  /**
   * Deletes one of the signed-in user's passkeys. Needs recent
   * authentication.
   */
  removePasskey: Scalars['Boolean']['output'];
  /** Renames one of the signed-in user's passkeys. */
  renamePasskey: Passkey;
  /**
   * With the token of a new-device alert's link: ends that session and those
   * opened since from the same device name and network, and requires a
   * password reset before the password signs in again. Needs no bearer token.
   */
  reportSignIn: Scalars['Boolean']['output'];
  /**
   * Sends the verification mail again, when an unverified account has this
   * address. Always true for a well-formed address.
   */
  requestEmailVerification: Scalars['Boolean']['output'];
  /**
   * Sends a password-reset mail when a verified account has this address.
   * Always true for a well-formed address.
   */
  requestPasswordReset: Scalars['Boolean']['output'];
  /**
   * Sets a new password with the token of a reset mail and ends every session
   * of the account. Returns true; the user then signs in.
   */
  resetPassword: Scalars['Boolean']['output'];
  /**
   * Admin only: removes the user's TOTP, recovery codes and passkeys, and ends
   * every session of the user.
   */
  resetUserFactors: Scalars['Boolean']['output'];
  /** Admin only: mails the user a password-reset link. */
  sendPasswordReset: Scalars['Boolean']['output'];
  /** Admin only: changes a user's role; it takes effect on the next request. */
  setUserRole: AdminUser;
  /** Admin only: enables or disables a user; disabling ends every session. */
  setUserStatus: AdminUser;
  /** Creates an account, as SIGNUP_MODE allows. See API.md, Accounts. */
  signUp: SignUpPayload;
  /**
   * Follows the link of a verification mail (sign-up or changeEmail).
   * Returns true; the address is then verified.
   */
  verifyEmail: Scalars['Boolean']['output'];
};


/**
 * Every mutation field: the sessions' (here), the accounts' and the
 * second factors'.
 */
export type MutationChangeEmailArgs = {
  newEmail: Scalars['String']['input'];
};


/**
 * Every mutation field: the sessions' (here), the accounts' and the
 * second factors'.
 */
export type MutationChangePasswordArgs = {
  input: ChangePasswordInput;
};


/**
 * Every mutation field: the sessions' (here), the accounts' and the
 * second factors'.
 */
export type MutationCompleteLoginArgs = {
  input: CompleteLoginInput;
};


/**
 * Every mutation field: the sessions' (here), the accounts' and the
 * second factors'.
 */
export type MutationConfirmTotpArgs = {
  code: Scalars['String']['input'];
};


/**
 * Every mutation field: the sessions' (here), the accounts' and the
 * second factors'.
 */
export type MutationEndUserSessionsArgs = {
  sessionId?: InputMaybe<Scalars['ID']['input']>;
  userId: Scalars['ID']['input'];
};


/**
 * Every mutation field: the sessions' (here), the accounts' and the
 * second factors'.
 */
export type MutationFinishPasskeyLoginArgs = {
  input: FinishPasskeyLoginInput;
};


/**
 * Every mutation field: the sessions' (here), the accounts' and the
 * second factors'.
 */
export type MutationFinishPasskeyRegistrationArgs = {
  input: FinishPasskeyRegistrationInput;
};


/**
 * Every mutation field: the sessions' (here), the accounts' and the
 * second factors'.
 */
export type MutationInviteUserArgs = {
  email: Scalars['String']['input'];
  role?: Scalars['String']['input'];
};


/**
 * Every mutation field: the sessions' (here), the accounts' and the
 * second factors'.
 */
export type MutationLoginArgs = {
  input: LoginInput;
};


/**
 * Every mutation field: the sessions' (here), the accounts' and the
 * second factors'.
 */
export type MutationLogoutAllArgs = {
  exceptCurrent?: Scalars['Boolean']['input'];
};


/**
 * Every mutation field: the sessions' (here), the accounts' and the
 * second factors'.
 */
export type MutationLogoutSessionArgs = {
  sessionId: Scalars['ID']['input'];
};


/**
 * Every mutation field: the sessions' (here), the accounts' and the
 * second factors'.
 */
export type MutationReauthenticateArgs = {
  input: ReauthenticateInput;
};


/**
 * Every mutation field: the sessions' (here), the accounts' and the
 * second factors'.
 */
export type MutationRefreshTokenArgs = {
  refreshToken?: InputMaybe<Scalars['String']['input']>;
};


/**
 * Every mutation field: the sessions' (here), the accounts' and the
 * second factors'.
 */
export type MutationRemovePasskeyArgs = {
  id: Scalars['ID']['input'];
};


/**
 * Every mutation field: the sessions' (here), the accounts' and the
 * second factors'.
 */
export type MutationRenamePasskeyArgs = {
  id: Scalars['ID']['input'];
  label: Scalars['String']['input'];
};


/**
 * Every mutation field: the sessions' (here), the accounts' and the
 * second factors'.
 */
export type MutationReportSignInArgs = {
  token: Scalars['String']['input'];
};


/**
 * Every mutation field: the sessions' (here), the accounts' and the
 * second factors'.
 */
export type MutationRequestEmailVerificationArgs = {
  email: Scalars['String']['input'];
};


/**
 * Every mutation field: the sessions' (here), the accounts' and the
 * second factors'.
 */
export type MutationRequestPasswordResetArgs = {
  email: Scalars['String']['input'];
};


/**
 * Every mutation field: the sessions' (here), the accounts' and the
 * second factors'.
 */
export type MutationResetPasswordArgs = {
  input: ResetPasswordInput;
};


/**
 * Every mutation field: the sessions' (here), the accounts' and the
 * second factors'.
 */
export type MutationResetUserFactorsArgs = {
  userId: Scalars['ID']['input'];
};


/**
 * Every mutation field: the sessions' (here), the accounts' and the
 * second factors'.
 */
export type MutationSendPasswordResetArgs = {
  userId: Scalars['ID']['input'];
};


/**
 * Every mutation field: the sessions' (here), the accounts' and the
 * second factors'.
 */
export type MutationSetUserRoleArgs = {
  role: Scalars['String']['input'];
  userId: Scalars['ID']['input'];
};


/**
 * Every mutation field: the sessions' (here), the accounts' and the
 * second factors'.
 */
export type MutationSetUserStatusArgs = {
  status: AccountStatus;
  userId: Scalars['ID']['input'];
};


/**
 * Every mutation field: the sessions' (here), the accounts' and the
 * second factors'.
 */
export type MutationSignUpArgs = {
  input: SignUpInput;
};


/**
 * Every mutation field: the sessions' (here), the accounts' and the
 * second factors'.
 */
export type MutationVerifyEmailArgs = {
  token: Scalars['String']['input'];
};

/** An object with an id unique across every type. */
export type Node = {
  id: Scalars['ID']['output'];
};

export type Passkey = {
  __typename?: 'Passkey';
  /** True when the authenticator says the credential is backed up (synced). */
  backedUp: Scalars['Boolean']['output'];
  createdAt: Scalars['DateTime']['output'];
  id: Scalars['ID']['output'];
  label: Scalars['String']['output'];
  /** The last sign-in or re-authentication with it. */
  lastUsedAt?: Maybe<Scalars['DateTime']['output']>;
};

/** A ceremony begun: its id and the options for the browser. */
export type PasskeyOptions = {
  __typename?: 'PasskeyOptions';
  /** Names this ceremony; it is single use and expires after five minutes. */
  challengeId: Scalars['ID']['output'];
  /**
   * JSON text: PublicKeyCredentialCreationOptionsJSON (registration) or
   * PublicKeyCredentialRequestOptionsJSON (sign-in) of WebAuthn Level 3.
   */
  options: Scalars['String']['output'];
};

/**
 * Every query field: the user's and sessions' (here), the security
 * events' and the admin's.
 */
export type Query = {
  __typename?: 'Query';
  /**
   * Admin only: what admins did, newest first; `before` is the id of the last
   * entry of the previous page.
   */
  auditLog: Array<AuditEntry>;
  /** The signed-in user. Needs `Authorization: Bearer <accessToken>`. */
  me: User;
  /** The signed-in user's passkeys, newest first. Needs a bearer token. */
  myPasskeys: Array<Passkey>;
  /**
   * The signed-in user's security events, newest first: at most `first`
   * (1 to 200), older than the event `before` when given. Needs a bearer
   * token.
   */
  mySecurityEvents: Array<SecurityEvent>;
  /**
   * The signed-in user's sessions that have not ended, the most recently
   * active first. Needs a bearer token.
   */
  mySessions: Array<Session>;
  /**
   * The signed-in user, one of their open sessions, or (for an admin) any
   * user or open session with this id; null for anything else. Needs a
   * bearer token.
   */
  node?: Maybe<Node>;
  /** Admin only: one user, or null when no user has this id. */
  user?: Maybe<AdminUser>;
  /**
   * Admin only: users whose name or email contains `query` (any letter case),
   * oldest first; `after` is the previous page's endCursor.
   */
  users: UserPage;
};


/**
 * Every query field: the user's and sessions' (here), the security
 * events' and the admin's.
 */
export type QueryAuditLogArgs = {
  before?: InputMaybe<Scalars['ID']['input']>;
  first?: Scalars['Int']['input'];
};


/**
 * Every query field: the user's and sessions' (here), the security
 * events' and the admin's.
 */
export type QueryMySecurityEventsArgs = {
  before?: InputMaybe<Scalars['ID']['input']>;
  first?: Scalars['Int']['input'];
};


/**
 * Every query field: the user's and sessions' (here), the security
 * events' and the admin's.
 */
export type QueryNodeArgs = {
  id: Scalars['ID']['input'];
};


/**
 * Every query field: the user's and sessions' (here), the security
 * events' and the admin's.
 */
export type QueryUserArgs = {
  id: Scalars['ID']['input'];
};


/**
 * Every query field: the user's and sessions' (here), the security
 * events' and the admin's.
 */
export type QueryUsersArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: Scalars['Int']['input'];
  query?: InputMaybe<Scalars['String']['input']>;
};

/** What `reauthenticate` answers. */
export type ReauthPayload = {
  __typename?: 'ReauthPayload';
  accessToken: Scalars['String']['output'];
  expiresIn: Scalars['Int']['output'];
  session: Session;
};

/** A credential proved again in the current session. */
export type ReauthenticateInput = {
  code?: InputMaybe<Scalars['String']['input']>;
  passkey?: InputMaybe<FinishPasskeyLoginInput>;
  /** Give exactly one of password, code, recoveryCode and passkey. */
  password?: InputMaybe<Scalars['String']['input']>;
  recoveryCode?: InputMaybe<Scalars['String']['input']>;
};

/** Where login puts the refresh token. */
export type RefreshTokenDelivery =
  /** In the answer, as AuthPayload.refreshToken. */
  | 'BODY'
  /** In an HttpOnly cookie; AuthPayload.refreshToken is null. */
  | 'COOKIE';

/** A reset mail's token and the new password. */
export type ResetPasswordInput = {
  newPassword: Scalars['String']['input'];
  token: Scalars['String']['input'];
};

export type SecurityEvent = {
  __typename?: 'SecurityEvent';
  at: Scalars['DateTime']['output'];
  /**
   * For SIGNED_IN: "pwd", "pwd otp", "hwk"... ; for ADMIN_ACTION: what the
   * admin did. Never a secret.
   */
  detail?: Maybe<Scalars['String']['output']>;
  deviceName?: Maybe<Scalars['String']['output']>;
  id: Scalars['ID']['output'];
  ipAddress?: Maybe<Scalars['String']['output']>;
  kind: SecurityEventKind;
  /** For SESSION_ENDED: why. */
  reason?: Maybe<SessionEndReason>;
  sessionId?: Maybe<Scalars['ID']['output']>;
};

/**
 * What a security event records (the schema's mirror of the vocabulary's
 * enum, converted variant by variant).
 */
export type SecurityEventKind =
  | 'ADMIN_ACTION'
  | 'EMAIL_CHANGED'
  | 'EMAIL_VERIFIED'
  | 'NEW_DEVICE_ALERT_SENT'
  | 'PASSKEY_ADDED'
  | 'PASSKEY_REMOVED'
  | 'PASSWORD_CHANGED'
  | 'PASSWORD_RESET'
  | 'RECOVERY_CODES_REGENERATED'
  | 'RECOVERY_CODE_USED'
  | 'REFRESH_TOKEN_REUSED'
  | 'SESSION_ENDED'
  | 'SIGNED_IN'
  | 'SIGN_IN_FAILED'
  | 'SIGN_IN_REPORTED'
  | 'TOTP_DISABLED'
  | 'TOTP_ENABLED';

export type Session = Node & {
  __typename?: 'Session';
  /**
   * Authenticator assurance level: 2 when two kinds of factor (or a passkey
   * with user verification) proved this session, else 1.
   */
  aal: Scalars['Int']['output'];
  /**
   * How the session was authenticated, as RFC 8176 names it: "pwd", "otp",
   * "hwk", "mfa".
   */
  amr: Array<Scalars['String']['output']>;
  /**
   * When a credential was last proved in this session (login, completeLogin,
   * a passkey, or reauthenticate).
   */
  authenticatedAt: Scalars['DateTime']['output'];
  /** When the session was opened by login. */
  createdAt: Scalars['DateTime']['output'];
  /** True for the session of the bearer token that made this request. */
  current: Scalars['Boolean']['output'];
  deviceInfo?: Maybe<Scalars['String']['output']>;
  /**
   * deviceInfo when the client gave one, else a name made from the
   * User-Agent (and client hints), such as "Firefox on Linux".
   */
  deviceName: Scalars['String']['output'];
  /** When the session ends if its refresh token is not used before then. */
  expiresAt: Scalars['DateTime']['output'];
  /** Opaque and unguessable; never a counter. */
  id: Scalars['ID']['output'];
  /** The client's address as the server saw it (see the API notes on proxies). */
  ipAddress?: Maybe<Scalars['String']['output']>;
  /**
   * When the session was last used by a request or a refresh (may lag real
   * time by up to a minute).
   */
  lastActiveAt: Scalars['DateTime']['output'];
  user: User;
  userAgent?: Maybe<Scalars['String']['output']>;
};

/** Why a session ended, as `SessionEndReason` shows it and `end_reason` keeps it. */
export type SessionEndReason =
  /** Ended by an operator (`authql user logout`). */
  | 'ENDED_BY_ADMIN'
  /** logoutSession from another session of the same user. */
  | 'ENDED_BY_OTHER_SESSION'
  /** The oldest session, ended to keep the user within MAX_SESSIONS_PER_USER. */
  | 'EVICTED'
  /** Its refresh token went unused too long, or it reached its maximum lifetime. */
  | 'EXPIRED'
  /** logout, or logoutSession of this session from itself. */
  | 'LOGOUT'
  /** logoutAll. */
  | 'LOGOUT_ALL'
  /** changePassword or `authql user set-password`. */
  | 'PASSWORD_CHANGED'
  /** resetPassword with the token of a reset mail. */
  | 'PASSWORD_RESET'
  /** A used-up refresh token was presented after the grace window. */
  | 'REFRESH_REUSE'
  /** reportSignIn: the user said a sign-in was not theirs. */
  | 'REPORTED_BY_USER'
  /** The user was disabled (`authql user disable`). */
  | 'USER_DISABLED';

export type SessionEvent = {
  __typename?: 'SessionEvent';
  at: Scalars['DateTime']['output'];
  /** True when the event is about the session of this subscription's token. */
  current: Scalars['Boolean']['output'];
  kind: SessionEventKind;
  /** For ENDED: why. Null for OPENED. */
  reason?: Maybe<SessionEndReason>;
  /** For OPENED: the new session as mySessions lists it. Null for ENDED. */
  session?: Maybe<Session>;
  sessionId: Scalars['ID']['output'];
};

/** Whether a session opened or ended. */
export type SessionEventKind =
  | 'ENDED'
  | 'OPENED';

/** A new account's name, address and password. */
export type SignUpInput = {
  deviceInfo?: InputMaybe<Scalars['String']['input']>;
  email: Scalars['String']['input'];
  /** The token of an invitation mail; needed when SIGNUP_MODE is invite. */
  inviteToken?: InputMaybe<Scalars['String']['input']>;
  password: Scalars['String']['input'];
  refreshTokenDelivery?: RefreshTokenDelivery;
  userName: Scalars['String']['input'];
};

/** What `signUp` answers. */
export type SignUpPayload = {
  __typename?: 'SignUpPayload';
  /**
   * The first session, when the account is usable at once (an accepted
   * invitation). Null when a verification mail was sent instead.
   */
  auth?: Maybe<AuthPayload>;
  /** True when a mail went to the address given. */
  verificationSent: Scalars['Boolean']['output'];
};

export type Subscription = {
  __typename?: 'Subscription';
  /**
   * Pushes each security event of the signed-in user as it is recorded (what
   * mySecurityEvents lists), through whichever server replica recorded it.
   * Over WebSocket (graphql-transport-ws), beside sessionEvents.
   */
  securityEvents: SecurityEvent;
  /**
   * Pushes an event whenever a session of the signed-in user opens or ends,
   * through whichever server replica it happened on. Over WebSocket
   * (graphql-transport-ws); see API.md, Live session events.
   */
  sessionEvents: SessionEvent;
};

/** A TOTP secret just enrolled. */
export type TotpEnrollment = {
  __typename?: 'TotpEnrollment';
  /** otpauth://totp/... for a QR code. */
  otpauthUri: Scalars['String']['output'];
  /** The shared secret in base32 (RFC 4648, no padding), for typing by hand. */
  secret: Scalars['String']['output'];
};

export type User = Node & {
  __typename?: 'User';
  createdAt: Scalars['DateTime']['output'];
  /** Null for an account created without one. */
  email?: Maybe<Scalars['String']['output']>;
  emailVerified: Scalars['Boolean']['output'];
  id: Scalars['ID']['output'];
  /** The user's second factors. */
  mfa: MfaStatus;
  role: Scalars['String']['output'];
  userName: Scalars['String']['output'];
};

export type UserPage = {
  __typename?: 'UserPage';
  /**
   * The cursor to pass as `after` for the next page; null for an empty
   * page.
   */
  endCursor?: Maybe<Scalars['String']['output']>;
  hasNextPage: Scalars['Boolean']['output'];
  nodes: Array<AdminUser>;
  /** How many users match, on every page together. */
  totalCount: Scalars['Int']['output'];
};

export type LoginMutationVariables = Exact<{
  input: LoginInput;
}>;


export type LoginMutation = { __typename?: 'Mutation', login: { __typename?: 'AuthPayload', accessToken: string, refreshToken?: string | null } };

export type RefreshFromCookieMutationVariables = Exact<{ [key: string]: never; }>;


export type RefreshFromCookieMutation = { __typename?: 'Mutation', refreshToken: { __typename?: 'AuthPayload', accessToken: string } };

export type AccountQueryVariables = Exact<{ [key: string]: never; }>;


export type AccountQuery = { __typename?: 'Query', me: { __typename?: 'User', id: string, userName: string, role: string, email?: string | null, emailVerified: boolean, mfa: { __typename?: 'MfaStatus', totp: boolean, recoveryCodesLeft: number, passkeys: number } }, myPasskeys: Array<{ __typename?: 'Passkey', id: string, label: string, createdAt: string, lastUsedAt?: string | null, backedUp: boolean }>, mySessions: Array<{ __typename?: 'Session', id: string, current: boolean, aal: number, deviceName: string, ipAddress?: string | null, lastActiveAt: string }> };

export type EndSessionMutationVariables = Exact<{
  sessionId: Scalars['ID']['input'];
}>;


export type EndSessionMutation = { __typename?: 'Mutation', logoutSession: boolean };

export type EndAllMutationVariables = Exact<{
  exceptCurrent: Scalars['Boolean']['input'];
}>;


export type EndAllMutation = { __typename?: 'Mutation', logoutAll: number };

export type LogoutMutationVariables = Exact<{ [key: string]: never; }>;


export type LogoutMutation = { __typename?: 'Mutation', logout: boolean };

export type SessionEventsSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type SessionEventsSubscription = { __typename?: 'Subscription', sessionEvents: { __typename?: 'SessionEvent', kind: SessionEventKind, sessionId: string, current: boolean, reason?: SessionEndReason | null } };

export type MySecurityEventsQueryVariables = Exact<{
  first: Scalars['Int']['input'];
  before?: InputMaybe<Scalars['ID']['input']>;
}>;


export type MySecurityEventsQuery = { __typename?: 'Query', mySecurityEvents: Array<{ __typename?: 'SecurityEvent', id: string, kind: SecurityEventKind, at: string, ipAddress?: string | null, deviceName?: string | null, reason?: SessionEndReason | null, detail?: string | null }> };

export type SecurityEventsSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type SecurityEventsSubscription = { __typename?: 'Subscription', securityEvents: { __typename?: 'SecurityEvent', id: string, kind: SecurityEventKind, at: string, ipAddress?: string | null, deviceName?: string | null, reason?: SessionEndReason | null, detail?: string | null } };

export type TimelineEventFragment = { __typename?: 'SecurityEvent', id: string, kind: SecurityEventKind, at: string, ipAddress?: string | null, deviceName?: string | null, reason?: SessionEndReason | null, detail?: string | null };

export type ReportSignInMutationVariables = Exact<{
  token: Scalars['String']['input'];
}>;


export type ReportSignInMutation = { __typename?: 'Mutation', reportSignIn: boolean };

export type SignUpMutationVariables = Exact<{
  input: SignUpInput;
}>;


export type SignUpMutation = { __typename?: 'Mutation', signUp: { __typename?: 'SignUpPayload', verificationSent: boolean, auth?: { __typename?: 'AuthPayload', accessToken: string } | null } };

export type VerifyEmailMutationVariables = Exact<{
  token: Scalars['String']['input'];
}>;


export type VerifyEmailMutation = { __typename?: 'Mutation', verifyEmail: boolean };

export type RequestEmailVerificationMutationVariables = Exact<{
  email: Scalars['String']['input'];
}>;


export type RequestEmailVerificationMutation = { __typename?: 'Mutation', requestEmailVerification: boolean };

export type RequestPasswordResetMutationVariables = Exact<{
  email: Scalars['String']['input'];
}>;


export type RequestPasswordResetMutation = { __typename?: 'Mutation', requestPasswordReset: boolean };

export type ResetPasswordMutationVariables = Exact<{
  input: ResetPasswordInput;
}>;


export type ResetPasswordMutation = { __typename?: 'Mutation', resetPassword: boolean };

export type ChangeEmailMutationVariables = Exact<{
  newEmail: Scalars['String']['input'];
}>;


export type ChangeEmailMutation = { __typename?: 'Mutation', changeEmail: boolean };

export type CompleteLoginMutationVariables = Exact<{
  input: CompleteLoginInput;
}>;


export type CompleteLoginMutation = { __typename?: 'Mutation', completeLogin: { __typename?: 'AuthPayload', accessToken: string } };

export type ReauthenticateMutationVariables = Exact<{
  input: ReauthenticateInput;
}>;


export type ReauthenticateMutation = { __typename?: 'Mutation', reauthenticate: { __typename?: 'ReauthPayload', accessToken: string } };

export type EnrollTotpMutationVariables = Exact<{ [key: string]: never; }>;


export type EnrollTotpMutation = { __typename?: 'Mutation', enrollTotp: { __typename?: 'TotpEnrollment', secret: string, otpauthUri: string } };

export type ConfirmTotpMutationVariables = Exact<{
  code: Scalars['String']['input'];
}>;


export type ConfirmTotpMutation = { __typename?: 'Mutation', confirmTotp: Array<string> };

export type DisableTotpMutationVariables = Exact<{ [key: string]: never; }>;


export type DisableTotpMutation = { __typename?: 'Mutation', disableTotp: boolean };

export type RegenerateRecoveryCodesMutationVariables = Exact<{ [key: string]: never; }>;


export type RegenerateRecoveryCodesMutation = { __typename?: 'Mutation', regenerateRecoveryCodes: Array<string> };

export type BeginPasskeyLoginMutationVariables = Exact<{ [key: string]: never; }>;


export type BeginPasskeyLoginMutation = { __typename?: 'Mutation', beginPasskeyLogin: { __typename?: 'PasskeyOptions', challengeId: string, options: string } };

export type FinishPasskeyLoginMutationVariables = Exact<{
  input: FinishPasskeyLoginInput;
}>;


export type FinishPasskeyLoginMutation = { __typename?: 'Mutation', finishPasskeyLogin: { __typename?: 'AuthPayload', accessToken: string } };

export type BeginPasskeyRegistrationMutationVariables = Exact<{ [key: string]: never; }>;


export type BeginPasskeyRegistrationMutation = { __typename?: 'Mutation', beginPasskeyRegistration: { __typename?: 'PasskeyOptions', challengeId: string, options: string } };

export type FinishPasskeyRegistrationMutationVariables = Exact<{
  input: FinishPasskeyRegistrationInput;
}>;


export type FinishPasskeyRegistrationMutation = { __typename?: 'Mutation', finishPasskeyRegistration: { __typename?: 'Passkey', id: string, label: string } };

export type RenamePasskeyMutationVariables = Exact<{
  id: Scalars['ID']['input'];
  label: Scalars['String']['input'];
}>;


export type RenamePasskeyMutation = { __typename?: 'Mutation', renamePasskey: { __typename?: 'Passkey', id: string, label: string } };

export type RemovePasskeyMutationVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type RemovePasskeyMutation = { __typename?: 'Mutation', removePasskey: boolean };

export type AdminUsersQueryVariables = Exact<{
  query?: InputMaybe<Scalars['String']['input']>;
  first: Scalars['Int']['input'];
  after?: InputMaybe<Scalars['String']['input']>;
}>;


export type AdminUsersQuery = { __typename?: 'Query', users: { __typename?: 'UserPage', totalCount: number, endCursor?: string | null, hasNextPage: boolean, nodes: Array<{ __typename?: 'AdminUser', id: string, userName: string, email?: string | null, role: string, status: AccountStatus, lastSignInAt?: string | null }> } };

export type AdminUserQueryVariables = Exact<{
  id: Scalars['ID']['input'];
  events: Scalars['Int']['input'];
}>;


export type AdminUserQuery = { __typename?: 'Query', user?: { __typename?: 'AdminUser', id: string, userName: string, email?: string | null, emailVerified: boolean, role: string, status: AccountStatus, createdAt: string, lastSignInAt?: string | null, mfa: { __typename?: 'MfaStatus', totp: boolean, recoveryCodesLeft: number, passkeys: number }, sessions: Array<{ __typename?: 'Session', id: string, current: boolean, deviceName: string, ipAddress?: string | null, createdAt: string, lastActiveAt: string, aal: number }>, securityEvents: Array<{ __typename?: 'SecurityEvent', id: string, kind: SecurityEventKind, at: string, ipAddress?: string | null, deviceName?: string | null, reason?: SessionEndReason | null, detail?: string | null }> } | null };

export type AuditLogQueryVariables = Exact<{
  first: Scalars['Int']['input'];
  before?: InputMaybe<Scalars['ID']['input']>;
}>;


export type AuditLogQuery = { __typename?: 'Query', auditLog: Array<{ __typename?: 'AuditEntry', id: string, at: string, actorName: string, action: string, targetUserId?: string | null, detail?: string | null, ipAddress?: string | null }> };

export type InviteUserMutationVariables = Exact<{
  email: Scalars['String']['input'];
  role: Scalars['String']['input'];
}>;


export type InviteUserMutation = { __typename?: 'Mutation', inviteUser: boolean };

export type SetUserStatusMutationVariables = Exact<{
  userId: Scalars['ID']['input'];
  status: AccountStatus;
}>;


export type SetUserStatusMutation = { __typename?: 'Mutation', setUserStatus: { __typename?: 'AdminUser', id: string, status: AccountStatus } };

export type SetUserRoleMutationVariables = Exact<{
  userId: Scalars['ID']['input'];
  role: Scalars['String']['input'];
}>;


export type SetUserRoleMutation = { __typename?: 'Mutation', setUserRole: { __typename?: 'AdminUser', id: string, role: string } };

export type EndUserSessionsMutationVariables = Exact<{
  userId: Scalars['ID']['input'];
  sessionId?: InputMaybe<Scalars['ID']['input']>;
}>;


export type EndUserSessionsMutation = { __typename?: 'Mutation', endUserSessions: number };

export type ResetUserFactorsMutationVariables = Exact<{
  userId: Scalars['ID']['input'];
}>;


export type ResetUserFactorsMutation = { __typename?: 'Mutation', resetUserFactors: boolean };

export type SendPasswordResetMutationVariables = Exact<{
  userId: Scalars['ID']['input'];
}>;


export type SendPasswordResetMutation = { __typename?: 'Mutation', sendPasswordReset: boolean };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}
export const TimelineEventFragmentDoc = new TypedDocumentString(`
    fragment TimelineEvent on SecurityEvent {
  id
  kind
  at
  ipAddress
  deviceName
  reason
  detail
}
    `, {"fragmentName":"TimelineEvent"}) as unknown as TypedDocumentString<TimelineEventFragment, unknown>;
export const LoginDocument = new TypedDocumentString(`
    mutation Login($input: LoginInput!) {
  login(input: $input) {
    accessToken
    refreshToken
  }
}
    `) as unknown as TypedDocumentString<LoginMutation, LoginMutationVariables>;
export const RefreshFromCookieDocument = new TypedDocumentString(`
    mutation RefreshFromCookie {
  refreshToken {
    accessToken
  }
}
    `) as unknown as TypedDocumentString<RefreshFromCookieMutation, RefreshFromCookieMutationVariables>;
export const AccountDocument = new TypedDocumentString(`
    query Account {
  me {
    id
    userName
    role
    email
    emailVerified
    mfa {
      totp
      recoveryCodesLeft
      passkeys
    }
  }
  myPasskeys {
    id
    label
    createdAt
    lastUsedAt
    backedUp
  }
  mySessions {
    id
    current
    aal
    deviceName
    ipAddress
    lastActiveAt
  }
}
    `) as unknown as TypedDocumentString<AccountQuery, AccountQueryVariables>;
export const EndSessionDocument = new TypedDocumentString(`
    mutation EndSession($sessionId: ID!) {
  logoutSession(sessionId: $sessionId)
}
    `) as unknown as TypedDocumentString<EndSessionMutation, EndSessionMutationVariables>;
export const EndAllDocument = new TypedDocumentString(`
    mutation EndAll($exceptCurrent: Boolean!) {
  logoutAll(exceptCurrent: $exceptCurrent)
}
    `) as unknown as TypedDocumentString<EndAllMutation, EndAllMutationVariables>;
export const LogoutDocument = new TypedDocumentString(`
    mutation Logout {
  logout
}
    `) as unknown as TypedDocumentString<LogoutMutation, LogoutMutationVariables>;
export const SessionEventsDocument = new TypedDocumentString(`
    subscription SessionEvents {
  sessionEvents {
    kind
    sessionId
    current
    reason
  }
}
    `) as unknown as TypedDocumentString<SessionEventsSubscription, SessionEventsSubscriptionVariables>;
export const MySecurityEventsDocument = new TypedDocumentString(`
    query MySecurityEvents($first: Int!, $before: ID) {
  mySecurityEvents(first: $first, before: $before) {
    ...TimelineEvent
  }
}
    fragment TimelineEvent on SecurityEvent {
  id
  kind
  at
  ipAddress
  deviceName
  reason
  detail
}`) as unknown as TypedDocumentString<MySecurityEventsQuery, MySecurityEventsQueryVariables>;
export const SecurityEventsDocument = new TypedDocumentString(`
    subscription SecurityEvents {
  securityEvents {
    ...TimelineEvent
  }
}
    fragment TimelineEvent on SecurityEvent {
  id
  kind
  at
  ipAddress
  deviceName
  reason
  detail
}`) as unknown as TypedDocumentString<SecurityEventsSubscription, SecurityEventsSubscriptionVariables>;
export const ReportSignInDocument = new TypedDocumentString(`
    mutation ReportSignIn($token: String!) {
  reportSignIn(token: $token)
}
    `) as unknown as TypedDocumentString<ReportSignInMutation, ReportSignInMutationVariables>;
export const SignUpDocument = new TypedDocumentString(`
    mutation SignUp($input: SignUpInput!) {
  signUp(input: $input) {
    verificationSent
    auth {
      accessToken
    }
  }
}
    `) as unknown as TypedDocumentString<SignUpMutation, SignUpMutationVariables>;
export const VerifyEmailDocument = new TypedDocumentString(`
    mutation VerifyEmail($token: String!) {
  verifyEmail(token: $token)
}
    `) as unknown as TypedDocumentString<VerifyEmailMutation, VerifyEmailMutationVariables>;
export const RequestEmailVerificationDocument = new TypedDocumentString(`
    mutation RequestEmailVerification($email: String!) {
  requestEmailVerification(email: $email)
}
    `) as unknown as TypedDocumentString<RequestEmailVerificationMutation, RequestEmailVerificationMutationVariables>;
export const RequestPasswordResetDocument = new TypedDocumentString(`
    mutation RequestPasswordReset($email: String!) {
  requestPasswordReset(email: $email)
}
    `) as unknown as TypedDocumentString<RequestPasswordResetMutation, RequestPasswordResetMutationVariables>;
export const ResetPasswordDocument = new TypedDocumentString(`
    mutation ResetPassword($input: ResetPasswordInput!) {
  resetPassword(input: $input)
}
    `) as unknown as TypedDocumentString<ResetPasswordMutation, ResetPasswordMutationVariables>;
export const ChangeEmailDocument = new TypedDocumentString(`
    mutation ChangeEmail($newEmail: String!) {
  changeEmail(newEmail: $newEmail)
}
    `) as unknown as TypedDocumentString<ChangeEmailMutation, ChangeEmailMutationVariables>;
export const CompleteLoginDocument = new TypedDocumentString(`
    mutation CompleteLogin($input: CompleteLoginInput!) {
  completeLogin(input: $input) {
    accessToken
  }
}
    `) as unknown as TypedDocumentString<CompleteLoginMutation, CompleteLoginMutationVariables>;
export const ReauthenticateDocument = new TypedDocumentString(`
    mutation Reauthenticate($input: ReauthenticateInput!) {
  reauthenticate(input: $input) {
    accessToken
  }
}
    `) as unknown as TypedDocumentString<ReauthenticateMutation, ReauthenticateMutationVariables>;
export const EnrollTotpDocument = new TypedDocumentString(`
    mutation EnrollTotp {
  enrollTotp {
    secret
    otpauthUri
  }
}
    `) as unknown as TypedDocumentString<EnrollTotpMutation, EnrollTotpMutationVariables>;
export const ConfirmTotpDocument = new TypedDocumentString(`
    mutation ConfirmTotp($code: String!) {
  confirmTotp(code: $code)
}
    `) as unknown as TypedDocumentString<ConfirmTotpMutation, ConfirmTotpMutationVariables>;
export const DisableTotpDocument = new TypedDocumentString(`
    mutation DisableTotp {
  disableTotp
}
    `) as unknown as TypedDocumentString<DisableTotpMutation, DisableTotpMutationVariables>;
export const RegenerateRecoveryCodesDocument = new TypedDocumentString(`
    mutation RegenerateRecoveryCodes {
  regenerateRecoveryCodes
}
    `) as unknown as TypedDocumentString<RegenerateRecoveryCodesMutation, RegenerateRecoveryCodesMutationVariables>;
export const BeginPasskeyLoginDocument = new TypedDocumentString(`
    mutation BeginPasskeyLogin {
  beginPasskeyLogin {
    challengeId
    options
  }
}
    `) as unknown as TypedDocumentString<BeginPasskeyLoginMutation, BeginPasskeyLoginMutationVariables>;
export const FinishPasskeyLoginDocument = new TypedDocumentString(`
    mutation FinishPasskeyLogin($input: FinishPasskeyLoginInput!) {
  finishPasskeyLogin(input: $input) {
    accessToken
  }
}
    `) as unknown as TypedDocumentString<FinishPasskeyLoginMutation, FinishPasskeyLoginMutationVariables>;
export const BeginPasskeyRegistrationDocument = new TypedDocumentString(`
    mutation BeginPasskeyRegistration {
  beginPasskeyRegistration {
    challengeId
    options
  }
}
    `) as unknown as TypedDocumentString<BeginPasskeyRegistrationMutation, BeginPasskeyRegistrationMutationVariables>;
export const FinishPasskeyRegistrationDocument = new TypedDocumentString(`
    mutation FinishPasskeyRegistration($input: FinishPasskeyRegistrationInput!) {
  finishPasskeyRegistration(input: $input) {
    id
    label
  }
}
    `) as unknown as TypedDocumentString<FinishPasskeyRegistrationMutation, FinishPasskeyRegistrationMutationVariables>;
export const RenamePasskeyDocument = new TypedDocumentString(`
    mutation RenamePasskey($id: ID!, $label: String!) {
  renamePasskey(id: $id, label: $label) {
    id
    label
  }
}
    `) as unknown as TypedDocumentString<RenamePasskeyMutation, RenamePasskeyMutationVariables>;
export const RemovePasskeyDocument = new TypedDocumentString(`
    mutation RemovePasskey($id: ID!) {
  removePasskey(id: $id)
}
    `) as unknown as TypedDocumentString<RemovePasskeyMutation, RemovePasskeyMutationVariables>;
export const AdminUsersDocument = new TypedDocumentString(`
    query AdminUsers($query: String, $first: Int!, $after: String) {
  users(query: $query, first: $first, after: $after) {
    totalCount
    endCursor
    hasNextPage
    nodes {
      id
      userName
      email
      role
      status
      lastSignInAt
    }
  }
}
    `) as unknown as TypedDocumentString<AdminUsersQuery, AdminUsersQueryVariables>;
export const AdminUserDocument = new TypedDocumentString(`
    query AdminUser($id: ID!, $events: Int!) {
  user(id: $id) {
    id
    userName
    email
    emailVerified
    role
    status
    createdAt
    lastSignInAt
    mfa {
      totp
      recoveryCodesLeft
      passkeys
    }
    sessions {
      id
      current
      deviceName
      ipAddress
      createdAt
      lastActiveAt
      aal
    }
    securityEvents(first: $events) {
      ...TimelineEvent
    }
  }
}
    fragment TimelineEvent on SecurityEvent {
  id
  kind
  at
  ipAddress
  deviceName
  reason
  detail
}`) as unknown as TypedDocumentString<AdminUserQuery, AdminUserQueryVariables>;
export const AuditLogDocument = new TypedDocumentString(`
    query AuditLog($first: Int!, $before: ID) {
  auditLog(first: $first, before: $before) {
    id
    at
    actorName
    action
    targetUserId
    detail
    ipAddress
  }
}
    `) as unknown as TypedDocumentString<AuditLogQuery, AuditLogQueryVariables>;
export const InviteUserDocument = new TypedDocumentString(`
    mutation InviteUser($email: String!, $role: String!) {
  inviteUser(email: $email, role: $role)
}
    `) as unknown as TypedDocumentString<InviteUserMutation, InviteUserMutationVariables>;
export const SetUserStatusDocument = new TypedDocumentString(`
    mutation SetUserStatus($userId: ID!, $status: AccountStatus!) {
  setUserStatus(userId: $userId, status: $status) {
    id
    status
  }
}
    `) as unknown as TypedDocumentString<SetUserStatusMutation, SetUserStatusMutationVariables>;
export const SetUserRoleDocument = new TypedDocumentString(`
    mutation SetUserRole($userId: ID!, $role: String!) {
  setUserRole(userId: $userId, role: $role) {
    id
    role
  }
}
    `) as unknown as TypedDocumentString<SetUserRoleMutation, SetUserRoleMutationVariables>;
export const EndUserSessionsDocument = new TypedDocumentString(`
    mutation EndUserSessions($userId: ID!, $sessionId: ID) {
  endUserSessions(userId: $userId, sessionId: $sessionId)
}
    `) as unknown as TypedDocumentString<EndUserSessionsMutation, EndUserSessionsMutationVariables>;
export const ResetUserFactorsDocument = new TypedDocumentString(`
    mutation ResetUserFactors($userId: ID!) {
  resetUserFactors(userId: $userId)
}
    `) as unknown as TypedDocumentString<ResetUserFactorsMutation, ResetUserFactorsMutationVariables>;
export const SendPasswordResetDocument = new TypedDocumentString(`
    mutation SendPasswordReset($userId: ID!) {
  sendPasswordReset(userId: $userId)
}
    `) as unknown as TypedDocumentString<SendPasswordResetMutation, SendPasswordResetMutationVariables>;