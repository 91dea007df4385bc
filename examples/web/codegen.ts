// graphql-codegen: the types of every operation in src/ from authql's
// schema.graphql. `npm run codegen` writes src/gql/; `npm run check` fails
// when src/gql/ is stale or the app does not type-check.
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "../../schema.graphql",
  documents: ["src/**/*.ts", "!src/gql/**"],
  ignoreNoDocuments: false,
  generates: {
    "./src/gql/": {
      preset: "client",
      presetConfig: { fragmentMasking: false },
      config: {
        // Documents as plain strings: no GraphQL library in the bundle.
        documentMode: "string",
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: { DateTime: "string" },
      },
    },
  },
};

export default config;
