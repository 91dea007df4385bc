// Fragments a Relay app would write against authql: @refetchable on a type
// needs it to implement Node and Query.node to fetch it again by id.
import { graphql } from "react-relay";

export const user = graphql`
  fragment Account_user on User @refetchable(queryName: "AccountUserRefetchQuery") {
    id
    userName
    role
    emailVerified
  }
`;

export const session = graphql`
  fragment Account_session on Session @refetchable(queryName: "AccountSessionRefetchQuery") {
    id
    current
    deviceInfo
  }
`;
