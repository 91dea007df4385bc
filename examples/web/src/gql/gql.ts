/* eslint-disable */
import * as types from './graphql';



/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  mutation Login($input: LoginInput!) {\n    login(input: $input) {\n      accessToken\n      refreshToken\n    }\n  }\n": typeof types.LoginDocument,
    "\n  mutation RefreshFromCookie {\n    refreshToken {\n      accessToken\n    }\n  }\n": typeof types.RefreshFromCookieDocument,
    "\n  query Account {\n    me {\n      id\n      userName\n      role\n      email\n      emailVerified\n      mfa {\n        totp\n        recoveryCodesLeft\n        passkeys\n      }\n    }\n    myPasskeys {\n      id\n      label\n      createdAt\n      lastUsedAt\n      backedUp\n    }\n    mySessions {\n      id\n      current\n      aal\n      deviceName\n      ipAddress\n      lastActiveAt\n    }\n  }\n": typeof types.AccountDocument,
    "\n  mutation EndSession($sessionId: ID!) {\n    logoutSession(sessionId: $sessionId)\n  }\n": typeof types.EndSessionDocument,
    "\n  mutation EndAll($exceptCurrent: Boolean!) {\n    logoutAll(exceptCurrent: $exceptCurrent)\n  }\n": typeof types.EndAllDocument,
    "\n  mutation Logout {\n    logout\n  }\n": typeof types.LogoutDocument,
    "\n  subscription SessionEvents {\n    sessionEvents {\n      kind\n      sessionId\n      current\n      reason\n    }\n  }\n": typeof types.SessionEventsDocument,
    "\n  query MySecurityEvents($first: Int!, $before: ID) {\n    mySecurityEvents(first: $first, before: $before) {\n      ...TimelineEvent\n    }\n  }\n": typeof types.MySecurityEventsDocument,
    "\n  subscription SecurityEvents {\n    securityEvents {\n      ...TimelineEvent\n    }\n  }\n": typeof types.SecurityEventsDocument,
    "\n  fragment TimelineEvent on SecurityEvent {\n    id\n    kind\n    at\n    ipAddress\n    deviceName\n    reason\n    detail\n  }\n": typeof types.TimelineEventFragmentDoc,
    "\n  mutation ReportSignIn($token: String!) {\n    reportSignIn(token: $token)\n  }\n": typeof types.ReportSignInDocument,
    "\n  mutation SignUp($input: SignUpInput!) {\n    signUp(input: $input) {\n      verificationSent\n      auth {\n        accessToken\n      }\n    }\n  }\n": typeof types.SignUpDocument,
    "\n  mutation VerifyEmail($token: String!) {\n    verifyEmail(token: $token)\n  }\n": typeof types.VerifyEmailDocument,
    "\n  mutation RequestEmailVerification($email: String!) {\n    requestEmailVerification(email: $email)\n  }\n": typeof types.RequestEmailVerificationDocument,
    "\n  mutation RequestPasswordReset($email: String!) {\n    requestPasswordReset(email: $email)\n  }\n": typeof types.RequestPasswordResetDocument,
    "\n  mutation ResetPassword($input: ResetPasswordInput!) {\n    resetPassword(input: $input)\n  }\n": typeof types.ResetPasswordDocument,
    "\n  mutation ChangeEmail($newEmail: String!) {\n    changeEmail(newEmail: $newEmail)\n  }\n": typeof types.ChangeEmailDocument,
    "\n  mutation CompleteLogin($input: CompleteLoginInput!) {\n    completeLogin(input: $input) {\n      accessToken\n    }\n  }\n": typeof types.CompleteLoginDocument,
    "\n  mutation Reauthenticate($input: ReauthenticateInput!) {\n    reauthenticate(input: $input) {\n      accessToken\n    }\n  }\n": typeof types.ReauthenticateDocument,
    "\n  mutation EnrollTotp {\n    enrollTotp {\n      secret\n      otpauthUri\n    }\n  }\n": typeof types.EnrollTotpDocument,
    "\n  mutation ConfirmTotp($code: String!) {\n    confirmTotp(code: $code)\n  }\n": typeof types.ConfirmTotpDocument,
    "\n  mutation DisableTotp {\n    disableTotp\n  }\n": typeof types.DisableTotpDocument,
    "\n  mutation RegenerateRecoveryCodes {\n    regenerateRecoveryCodes\n  }\n": typeof types.RegenerateRecoveryCodesDocument,
    "\n  mutation BeginPasskeyLogin {\n    beginPasskeyLogin {\n      challengeId\n      options\n    }\n  }\n": typeof types.BeginPasskeyLoginDocument,
    "\n  mutation FinishPasskeyLogin($input: FinishPasskeyLoginInput!) {\n    finishPasskeyLogin(input: $input) {\n      accessToken\n    }\n  }\n": typeof types.FinishPasskeyLoginDocument,
    "\n  mutation BeginPasskeyRegistration {\n    beginPasskeyRegistration {\n      challengeId\n      options\n    }\n  }\n": typeof types.BeginPasskeyRegistrationDocument,
    "\n  mutation FinishPasskeyRegistration($input: FinishPasskeyRegistrationInput!) {\n    finishPasskeyRegistration(input: $input) {\n      id\n      label\n    }\n  }\n": typeof types.FinishPasskeyRegistrationDocument,
    "\n  mutation RenamePasskey($id: ID!, $label: String!) {\n    renamePasskey(id: $id, label: $label) {\n      id\n      label\n    }\n  }\n": typeof types.RenamePasskeyDocument,
    "\n  mutation RemovePasskey($id: ID!) {\n    removePasskey(id: $id)\n  }\n": typeof types.RemovePasskeyDocument,
    "\n  query AdminUsers($query: String, $first: Int!, $after: String) {\n    users(query: $query, first: $first, after: $after) {\n      totalCount\n      endCursor\n      hasNextPage\n      nodes {\n        id\n        userName\n        email\n        role\n        status\n        lastSignInAt\n      }\n    }\n  }\n": typeof types.AdminUsersDocument,
    "\n  query AdminUser($id: ID!, $events: Int!) {\n    user(id: $id) {\n      id\n      userName\n      email\n      emailVerified\n      role\n      status\n      createdAt\n      lastSignInAt\n      mfa {\n        totp\n        recoveryCodesLeft\n        passkeys\n      }\n      sessions {\n        id\n        current\n        deviceName\n        ipAddress\n        createdAt\n        lastActiveAt\n        aal\n      }\n      securityEvents(first: $events) {\n        ...TimelineEvent\n      }\n    }\n  }\n": typeof types.AdminUserDocument,
    "\n  query AuditLog($first: Int!, $before: ID) {\n    auditLog(first: $first, before: $before) {\n      id\n      at\n      actorName\n      action\n      targetUserId\n      detail\n      ipAddress\n    }\n  }\n": typeof types.AuditLogDocument,
    "\n  mutation InviteUser($email: String!, $role: String!) {\n    inviteUser(email: $email, role: $role)\n  }\n": typeof types.InviteUserDocument,
    "\n  mutation SetUserStatus($userId: ID!, $status: AccountStatus!) {\n    setUserStatus(userId: $userId, status: $status) {\n      id\n      status\n    }\n  }\n": typeof types.SetUserStatusDocument,
    "\n  mutation SetUserRole($userId: ID!, $role: String!) {\n    setUserRole(userId: $userId, role: $role) {\n      id\n      role\n    }\n  }\n": typeof types.SetUserRoleDocument,
    "\n  mutation EndUserSessions($userId: ID!, $sessionId: ID) {\n    endUserSessions(userId: $userId, sessionId: $sessionId)\n  }\n": typeof types.EndUserSessionsDocument,
    "\n  mutation ResetUserFactors($userId: ID!) {\n    resetUserFactors(userId: $userId)\n  }\n": typeof types.ResetUserFactorsDocument,
    "\n  mutation SendPasswordReset($userId: ID!) {\n    sendPasswordReset(userId: $userId)\n  }\n": typeof types.SendPasswordResetDocument,
};
const documents: Documents = {
    "\n  mutation Login($input: LoginInput!) {\n    login(input: $input) {\n      accessToken\n      refreshToken\n    }\n  }\n": types.LoginDocument,
    "\n  mutation RefreshFromCookie {\n    refreshToken {\n      accessToken\n    }\n  }\n": types.RefreshFromCookieDocument,
    "\n  query Account {\n    me {\n      id\n      userName\n      role\n      email\n      emailVerified\n      mfa {\n        totp\n        recoveryCodesLeft\n        passkeys\n      }\n    }\n    myPasskeys {\n      id\n      label\n      createdAt\n      lastUsedAt\n      backedUp\n    }\n    mySessions {\n      id\n      current\n      aal\n      deviceName\n      ipAddress\n      lastActiveAt\n    }\n  }\n": types.AccountDocument,
    "\n  mutation EndSession($sessionId: ID!) {\n    logoutSession(sessionId: $sessionId)\n  }\n": types.EndSessionDocument,
    "\n  mutation EndAll($exceptCurrent: Boolean!) {\n    logoutAll(exceptCurrent: $exceptCurrent)\n  }\n": types.EndAllDocument,
    "\n  mutation Logout {\n    logout\n  }\n": types.LogoutDocument,
    "\n  subscription SessionEvents {\n    sessionEvents {\n      kind\n      sessionId\n      current\n      reason\n    }\n  }\n": types.SessionEventsDocument,
    "\n  query MySecurityEvents($first: Int!, $before: ID) {\n    mySecurityEvents(first: $first, before: $before) {\n      ...TimelineEvent\n    }\n  }\n": types.MySecurityEventsDocument,
    "\n  subscription SecurityEvents {\n    securityEvents {\n      ...TimelineEvent\n    }\n  }\n": types.SecurityEventsDocument,
    "\n  fragment TimelineEvent on SecurityEvent {\n    id\n    kind\n    at\n    ipAddress\n    deviceName\n    reason\n    detail\n  }\n": types.TimelineEventFragmentDoc,
    "\n  mutation ReportSignIn($token: String!) {\n    reportSignIn(token: $token)\n  }\n": types.ReportSignInDocument,
    "\n  mutation SignUp($input: SignUpInput!) {\n    signUp(input: $input) {\n      verificationSent\n      auth {\n        accessToken\n      }\n    }\n  }\n": types.SignUpDocument,
    "\n  mutation VerifyEmail($token: String!) {\n    verifyEmail(token: $token)\n  }\n": types.VerifyEmailDocument,
    "\n  mutation RequestEmailVerification($email: String!) {\n    requestEmailVerification(email: $email)\n  }\n": types.RequestEmailVerificationDocument,
    "\n  mutation RequestPasswordReset($email: String!) {\n    requestPasswordReset(email: $email)\n  }\n": types.RequestPasswordResetDocument,
    "\n  mutation ResetPassword($input: ResetPasswordInput!) {\n    resetPassword(input: $input)\n  }\n": types.ResetPasswordDocument,
    "\n  mutation ChangeEmail($newEmail: String!) {\n    changeEmail(newEmail: $newEmail)\n  }\n": types.ChangeEmailDocument,
    "\n  mutation CompleteLogin($input: CompleteLoginInput!) {\n    completeLogin(input: $input) {\n      accessToken\n    }\n  }\n": types.CompleteLoginDocument,
    "\n  mutation Reauthenticate($input: ReauthenticateInput!) {\n    reauthenticate(input: $input) {\n      accessToken\n    }\n  }\n": types.ReauthenticateDocument,
    "\n  mutation EnrollTotp {\n    enrollTotp {\n      secret\n      otpauthUri\n    }\n  }\n": types.EnrollTotpDocument,
    "\n  mutation ConfirmTotp($code: String!) {\n    confirmTotp(code: $code)\n  }\n": types.ConfirmTotpDocument,
    "\n  mutation DisableTotp {\n    disableTotp\n  }\n": types.DisableTotpDocument,
    "\n  mutation RegenerateRecoveryCodes {\n    regenerateRecoveryCodes\n  }\n": types.RegenerateRecoveryCodesDocument,
    "\n  mutation BeginPasskeyLogin {\n    beginPasskeyLogin {\n      challengeId\n      options\n    }\n  }\n": types.BeginPasskeyLoginDocument,
    "\n  mutation FinishPasskeyLogin($input: FinishPasskeyLoginInput!) {\n    finishPasskeyLogin(input: $input) {\n      accessToken\n    }\n  }\n": types.FinishPasskeyLoginDocument,
    "\n  mutation BeginPasskeyRegistration {\n    beginPasskeyRegistration {\n      challengeId\n      options\n    }\n  }\n": types.BeginPasskeyRegistrationDocument,
    "\n  mutation FinishPasskeyRegistration($input: FinishPasskeyRegistrationInput!) {\n    finishPasskeyRegistration(input: $input) {\n      id\n      label\n    }\n  }\n": types.FinishPasskeyRegistrationDocument,
    "\n  mutation RenamePasskey($id: ID!, $label: String!) {\n    renamePasskey(id: $id, label: $label) {\n      id\n      label\n    }\n  }\n": types.RenamePasskeyDocument,
    "\n  mutation RemovePasskey($id: ID!) {\n    removePasskey(id: $id)\n  }\n": types.RemovePasskeyDocument,
    "\n  query AdminUsers($query: String, $first: Int!, $after: String) {\n    users(query: $query, first: $first, after: $after) {\n      totalCount\n      endCursor\n      hasNextPage\n      nodes {\n        id\n        userName\n        email\n        role\n        status\n        lastSignInAt\n      }\n    }\n  }\n": types.AdminUsersDocument,
    "\n  query AdminUser($id: ID!, $events: Int!) {\n    user(id: $id) {\n      id\n      userName\n      email\n      emailVerified\n      role\n      status\n      createdAt\n      lastSignInAt\n      mfa {\n        totp\n        recoveryCodesLeft\n        passkeys\n      }\n      sessions {\n        id\n        current\n        deviceName\n        ipAddress\n        createdAt\n        lastActiveAt\n        aal\n      }\n      securityEvents(first: $events) {\n        ...TimelineEvent\n      }\n    }\n  }\n": types.AdminUserDocument,
    "\n  query AuditLog($first: Int!, $before: ID) {\n    auditLog(first: $first, before: $before) {\n      id\n      at\n      actorName\n      action\n      targetUserId\n      detail\n      ipAddress\n    }\n  }\n": types.AuditLogDocument,
    "\n  mutation InviteUser($email: String!, $role: String!) {\n    inviteUser(email: $email, role: $role)\n  }\n": types.InviteUserDocument,
    "\n  mutation SetUserStatus($userId: ID!, $status: AccountStatus!) {\n    setUserStatus(userId: $userId, status: $status) {\n      id\n      status\n    }\n  }\n": types.SetUserStatusDocument,
    "\n  mutation SetUserRole($userId: ID!, $role: String!) {\n    setUserRole(userId: $userId, role: $role) {\n      id\n      role\n    }\n  }\n": types.SetUserRoleDocument,
    "\n  mutation EndUserSessions($userId: ID!, $sessionId: ID) {\n    endUserSessions(userId: $userId, sessionId: $sessionId)\n  }\n": types.EndUserSessionsDocument,
    "\n  mutation ResetUserFactors($userId: ID!) {\n    resetUserFactors(userId: $userId)\n  }\n": types.ResetUserFactorsDocument,
    "\n  mutation SendPasswordReset($userId: ID!) {\n    sendPasswordReset(userId: $userId)\n  }\n": types.SendPasswordResetDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Login($input: LoginInput!) {\n    login(input: $input) {\n      accessToken\n      refreshToken\n    }\n  }\n"): typeof import('./graphql').LoginDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RefreshFromCookie {\n    refreshToken {\n      accessToken\n    }\n  }\n"): typeof import('./graphql').RefreshFromCookieDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Account {\n    me {\n      id\n      userName\n      role\n      email\n      emailVerified\n      mfa {\n        totp\n        recoveryCodesLeft\n        passkeys\n      }\n    }\n    myPasskeys {\n      id\n      label\n      createdAt\n      lastUsedAt\n      backedUp\n    }\n    mySessions {\n      id\n      current\n      aal\n      deviceName\n      ipAddress\n      lastActiveAt\n    }\n  }\n"): typeof import('./graphql').AccountDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation EndSession($sessionId: ID!) {\n    logoutSession(sessionId: $sessionId)\n  }\n"): typeof import('./graphql').EndSessionDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation EndAll($exceptCurrent: Boolean!) {\n    logoutAll(exceptCurrent: $exceptCurrent)\n  }\n"): typeof import('./graphql').EndAllDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Logout {\n    logout\n  }\n"): typeof import('./graphql').LogoutDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription SessionEvents {\n    sessionEvents {\n      kind\n      sessionId\n      current\n      reason\n    }\n  }\n"): typeof import('./graphql').SessionEventsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query MySecurityEvents($first: Int!, $before: ID) {\n    mySecurityEvents(first: $first, before: $before) {\n      ...TimelineEvent\n    }\n  }\n"): typeof import('./graphql').MySecurityEventsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription SecurityEvents {\n    securityEvents {\n      ...TimelineEvent\n    }\n  }\n"): typeof import('./graphql').SecurityEventsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment TimelineEvent on SecurityEvent {\n    id\n    kind\n    at\n    ipAddress\n    deviceName\n    reason\n    detail\n  }\n"): typeof import('./graphql').TimelineEventFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ReportSignIn($token: String!) {\n    reportSignIn(token: $token)\n  }\n"): typeof import('./graphql').ReportSignInDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SignUp($input: SignUpInput!) {\n    signUp(input: $input) {\n      verificationSent\n      auth {\n        accessToken\n      }\n    }\n  }\n"): typeof import('./graphql').SignUpDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation VerifyEmail($token: String!) {\n    verifyEmail(token: $token)\n  }\n"): typeof import('./graphql').VerifyEmailDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RequestEmailVerification($email: String!) {\n    requestEmailVerification(email: $email)\n  }\n"): typeof import('./graphql').RequestEmailVerificationDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RequestPasswordReset($email: String!) {\n    requestPasswordReset(email: $email)\n  }\n"): typeof import('./graphql').RequestPasswordResetDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ResetPassword($input: ResetPasswordInput!) {\n    resetPassword(input: $input)\n  }\n"): typeof import('./graphql').ResetPasswordDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ChangeEmail($newEmail: String!) {\n    changeEmail(newEmail: $newEmail)\n  }\n"): typeof import('./graphql').ChangeEmailDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CompleteLogin($input: CompleteLoginInput!) {\n    completeLogin(input: $input) {\n      accessToken\n    }\n  }\n"): typeof import('./graphql').CompleteLoginDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Reauthenticate($input: ReauthenticateInput!) {\n    reauthenticate(input: $input) {\n      accessToken\n    }\n  }\n"): typeof import('./graphql').ReauthenticateDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation EnrollTotp {\n    enrollTotp {\n      secret\n      otpauthUri\n    }\n  }\n"): typeof import('./graphql').EnrollTotpDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConfirmTotp($code: String!) {\n    confirmTotp(code: $code)\n  }\n"): typeof import('./graphql').ConfirmTotpDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DisableTotp {\n    disableTotp\n  }\n"): typeof import('./graphql').DisableTotpDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RegenerateRecoveryCodes {\n    regenerateRecoveryCodes\n  }\n"): typeof import('./graphql').RegenerateRecoveryCodesDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation BeginPasskeyLogin {\n    beginPasskeyLogin {\n      challengeId\n      options\n    }\n  }\n"): typeof import('./graphql').BeginPasskeyLoginDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation FinishPasskeyLogin($input: FinishPasskeyLoginInput!) {\n    finishPasskeyLogin(input: $input) {\n      accessToken\n    }\n  }\n"): typeof import('./graphql').FinishPasskeyLoginDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation BeginPasskeyRegistration {\n    beginPasskeyRegistration {\n      challengeId\n      options\n    }\n  }\n"): typeof import('./graphql').BeginPasskeyRegistrationDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation FinishPasskeyRegistration($input: FinishPasskeyRegistrationInput!) {\n    finishPasskeyRegistration(input: $input) {\n      id\n      label\n    }\n  }\n"): typeof import('./graphql').FinishPasskeyRegistrationDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RenamePasskey($id: ID!, $label: String!) {\n    renamePasskey(id: $id, label: $label) {\n      id\n      label\n    }\n  }\n"): typeof import('./graphql').RenamePasskeyDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RemovePasskey($id: ID!) {\n    removePasskey(id: $id)\n  }\n"): typeof import('./graphql').RemovePasskeyDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AdminUsers($query: String, $first: Int!, $after: String) {\n    users(query: $query, first: $first, after: $after) {\n      totalCount\n      endCursor\n      hasNextPage\n      nodes {\n        id\n        userName\n        email\n        role\n        status\n        lastSignInAt\n      }\n    }\n  }\n"): typeof import('./graphql').AdminUsersDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AdminUser($id: ID!, $events: Int!) {\n    user(id: $id) {\n      id\n      userName\n      email\n      emailVerified\n      role\n      status\n      createdAt\n      lastSignInAt\n      mfa {\n        totp\n        recoveryCodesLeft\n        passkeys\n      }\n      sessions {\n        id\n        current\n        deviceName\n        ipAddress\n        createdAt\n        lastActiveAt\n        aal\n      }\n      securityEvents(first: $events) {\n        ...TimelineEvent\n      }\n    }\n  }\n"): typeof import('./graphql').AdminUserDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AuditLog($first: Int!, $before: ID) {\n    auditLog(first: $first, before: $before) {\n      id\n      at\n      actorName\n      action\n      targetUserId\n      detail\n      ipAddress\n    }\n  }\n"): typeof import('./graphql').AuditLogDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation InviteUser($email: String!, $role: String!) {\n    inviteUser(email: $email, role: $role)\n  }\n"): typeof import('./graphql').InviteUserDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SetUserStatus($userId: ID!, $status: AccountStatus!) {\n    setUserStatus(userId: $userId, status: $status) {\n      id\n      status\n    }\n  }\n"): typeof import('./graphql').SetUserStatusDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SetUserRole($userId: ID!, $role: String!) {\n    setUserRole(userId: $userId, role: $role) {\n      id\n      role\n    }\n  }\n"): typeof import('./graphql').SetUserRoleDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation EndUserSessions($userId: ID!, $sessionId: ID) {\n    endUserSessions(userId: $userId, sessionId: $sessionId)\n  }\n"): typeof import('./graphql').EndUserSessionsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ResetUserFactors($userId: ID!) {\n    resetUserFactors(userId: $userId)\n  }\n"): typeof import('./graphql').ResetUserFactorsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SendPasswordReset($userId: ID!) {\n    sendPasswordReset(userId: $userId)\n  }\n"): typeof import('./graphql').SendPasswordResetDocument;


export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}
