import { writeFileSync } from 'node:fs';
import { ConfigError, readSettingFile } from '@voxbus/shared';

export interface TlsSettings {
  readonly tls: boolean;
  readonly tlsCertFile: string;
  readonly tlsKeyFile: string;
  readonly tlsCertOut: string;
}

export interface ServerCertificate {
  readonly cert: string;
  readonly key: string;
}

/**
 * The certificate the sim serves wss:// with: the configured files, or a self-signed one for
 * localhost and 127.0.0.1 made at start (written to `tlsCertOut` for clients to trust), since
 * clients such as the official SDK only ever speak wss:// to a realtime endpoint.
 */
export async function serverCertificate(settings: TlsSettings): Promise<ServerCertificate | undefined> {
  if (!settings.tls) return undefined;
  if (settings.tlsCertFile || settings.tlsKeyFile) {
    if (!settings.tlsCertFile || !settings.tlsKeyFile) throw new ConfigError('tlsCertFile and tlsKeyFile go together (or neither: a self-signed certificate is made)');
    return { cert: readSettingFile(settings.tlsCertFile, 'TLS certificate (tlsCertFile)'), key: readSettingFile(settings.tlsKeyFile, 'TLS key (tlsKeyFile)') };
  }
  // Loaded only here: certificate generation pulls in a whole X.509 library a sim without TLS never needs.
  const { generate } = await import('selfsigned');
  const made = await generate([{ name: 'commonName', value: 'localhost' }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] },
    ],
  });
  if (settings.tlsCertOut) writeFileSync(settings.tlsCertOut, made.cert);
  return { cert: made.cert, key: made.private };
}
