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
    }
    mySessions {
      id
      current
      deviceInfo
      ipAddress
      userAgent
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
