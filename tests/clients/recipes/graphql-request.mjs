import { GraphQLClient, gql } from "graphql-request";

export async function whoAmI(url, userName, password) {
  const client = new GraphQLClient(url);
  const { login } = await client.request(
    gql`mutation Login($input: LoginInput!) { login(input: $input) { accessToken } }`,
    { input: { userName, password } },
  );
  client.setHeader("authorization", `Bearer ${login.accessToken}`);
  const { me } = await client.request(gql`query Me { me { id userName } }`);
  return me;
}
