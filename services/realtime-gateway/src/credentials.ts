/** Where a bearer token for Entra ID comes from (a fake in tests). */
export interface TokenSource {
  /** A currently valid access token for `scope`. */
  token(scope: string): Promise<string>;
}

/**
 * Entra ID through @azure/identity's DefaultAzureCredential (managed identity, workload identity,
 * environment variables, Azure CLI…), loaded only when configured. The credential caches tokens
 * and refreshes them before they expire; the gateway asks at every connect, so a reconnect an
 * hour later gets a fresh one.
 */
export function azureIdentityTokens(): TokenSource {
  let credential: Promise<{ getToken(scope: string): Promise<{ token: string } | null> }> | undefined;
  return {
    async token(scope) {
      credential ??= import('@azure/identity').then(({ DefaultAzureCredential }) => new DefaultAzureCredential());
      const result = await (await credential).getToken(scope);
      if (!result) throw new Error(`Entra ID returned no token for ${scope}`);
      return result.token;
    },
  };
}
