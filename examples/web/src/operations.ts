// Every operation the app sends; graphql-codegen types each one from
// schema.graphql (see codegen.ts).
import { graphql } from "./gql";

export const Login = graphql(`
  mutation Login($input: LoginInput!) {
    login(input: $input) {
      accessToken
      refreshToken
    }
  }
`);

export const RefreshFromCookie = graphql(`
  mutation RefreshFromCookie {
    refreshToken {
      accessToken
    }
  }
`);

export const Account = graphql(`
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
`);

export const EndSession = graphql(`
  mutation EndSession($sessionId: ID!) {
    logoutSession(sessionId: $sessionId)
  }
`);

export const EndAll = graphql(`
  mutation EndAll($exceptCurrent: Boolean!) {
    logoutAll(exceptCurrent: $exceptCurrent)
  }
`);

export const Logout = graphql(`
  mutation Logout {
    logout
  }
`);

export const SessionEvents = graphql(`
  subscription SessionEvents {
    sessionEvents {
      kind
      sessionId
      current
      reason
    }
  }
`);

// The security timeline: one page of events, newest first, older than
// `before` (the oldest shown) when given, and each new one as it happens.

export const MySecurityEvents = graphql(`
  query MySecurityEvents($first: Int!, $before: ID) {
    mySecurityEvents(first: $first, before: $before) {
      ...TimelineEvent
    }
  }
`);

export const SecurityEvents = graphql(`
  subscription SecurityEvents {
    securityEvents {
      ...TimelineEvent
    }
  }
`);

export const TimelineEvent = graphql(`
  fragment TimelineEvent on SecurityEvent {
    id
    kind
    at
    ipAddress
    deviceName
    reason
    detail
  }
`);

// The "this wasn't me" link of a new-device alert.

export const ReportSignIn = graphql(`
  mutation ReportSignIn($token: String!) {
    reportSignIn(token: $token)
  }
`);

// Accounts: the pages a mail links to, and the address in the settings.

export const SignUp = graphql(`
  mutation SignUp($input: SignUpInput!) {
    signUp(input: $input) {
      verificationSent
      auth {
        accessToken
      }
    }
  }
`);

export const VerifyEmail = graphql(`
  mutation VerifyEmail($token: String!) {
    verifyEmail(token: $token)
  }
`);

export const RequestEmailVerification = graphql(`
  mutation RequestEmailVerification($email: String!) {
    requestEmailVerification(email: $email)
  }
`);

export const RequestPasswordReset = graphql(`
  mutation RequestPasswordReset($email: String!) {
    requestPasswordReset(email: $email)
  }
`);

export const ResetPassword = graphql(`
  mutation ResetPassword($input: ResetPasswordInput!) {
    resetPassword(input: $input)
  }
`);

export const ChangeEmail = graphql(`
  mutation ChangeEmail($newEmail: String!) {
    changeEmail(newEmail: $newEmail)
  }
`);

// Second factors: the second step of sign-in, re-authentication, and TOTP
// in the settings.

export const CompleteLogin = graphql(`
  mutation CompleteLogin($input: CompleteLoginInput!) {
    completeLogin(input: $input) {
      accessToken
    }
  }
`);

export const Reauthenticate = graphql(`
  mutation Reauthenticate($input: ReauthenticateInput!) {
    reauthenticate(input: $input) {
      accessToken
    }
  }
`);

export const EnrollTotp = graphql(`
  mutation EnrollTotp {
    enrollTotp {
      secret
      otpauthUri
    }
  }
`);

export const ConfirmTotp = graphql(`
  mutation ConfirmTotp($code: String!) {
    confirmTotp(code: $code)
  }
`);

export const DisableTotp = graphql(`
  mutation DisableTotp {
    disableTotp
  }
`);

export const RegenerateRecoveryCodes = graphql(`
  mutation RegenerateRecoveryCodes {
    regenerateRecoveryCodes
  }
`);

// Passkeys: sign-in (a ceremony begun, then the authenticator's answer),
// and adding, renaming and removing them in the settings.

export const BeginPasskeyLogin = graphql(`
  mutation BeginPasskeyLogin {
    beginPasskeyLogin {
      challengeId
      options
    }
  }
`);

export const FinishPasskeyLogin = graphql(`
  mutation FinishPasskeyLogin($input: FinishPasskeyLoginInput!) {
    finishPasskeyLogin(input: $input) {
      accessToken
    }
  }
`);

export const BeginPasskeyRegistration = graphql(`
  mutation BeginPasskeyRegistration {
    beginPasskeyRegistration {
      challengeId
      options
    }
  }
`);

export const FinishPasskeyRegistration = graphql(`
  mutation FinishPasskeyRegistration($input: FinishPasskeyRegistrationInput!) {
    finishPasskeyRegistration(input: $input) {
      id
      label
    }
  }
`);

export const RenamePasskey = graphql(`
  mutation RenamePasskey($id: ID!, $label: String!) {
    renamePasskey(id: $id, label: $label) {
      id
      label
    }
  }
`);

export const RemovePasskey = graphql(`
  mutation RemovePasskey($id: ID!) {
    removePasskey(id: $id)
  }
`);

// The admin pages (admin-*.ts): the directory, one user, the audit log,
// and the admin mutations. Each mutation needs a recent sign-in: the client
// opens the re-authentication prompt when the server asks for one.

export const AdminUsers = graphql(`
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
`);

export const AdminUser = graphql(`
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
`);

export const AuditLog = graphql(`
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
`);

export const InviteUser = graphql(`
  mutation InviteUser($email: String!, $role: String!) {
    inviteUser(email: $email, role: $role)
  }
`);

export const SetUserStatus = graphql(`
  mutation SetUserStatus($userId: ID!, $status: AccountStatus!) {
    setUserStatus(userId: $userId, status: $status) {
      id
      status
    }
  }
`);

export const SetUserRole = graphql(`
  mutation SetUserRole($userId: ID!, $role: String!) {
    setUserRole(userId: $userId, role: $role) {
      id
      role
    }
  }
`);

export const EndUserSessions = graphql(`
  mutation EndUserSessions($userId: ID!, $sessionId: ID) {
    endUserSessions(userId: $userId, sessionId: $sessionId)
  }
`);

export const ResetUserFactors = graphql(`
  mutation ResetUserFactors($userId: ID!) {
    resetUserFactors(userId: $userId)
  }
`);

export const SendPasswordReset = graphql(`
  mutation SendPasswordReset($userId: ID!) {
    sendPasswordReset(userId: $userId)
  }
`);
