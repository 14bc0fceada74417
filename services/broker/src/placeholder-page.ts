/** Served on GET / of the WebSocket port until the monitor page exists; no version (visitors are not logged in). */
export function placeholderPage(wsPath: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>voxbus</title></head>
<body>
<h1>voxbus broker</h1>
<p>MQTT over WebSocket is served at <code>${wsPath}</code> on this port; MQTT over TCP on the broker's TCP port.</p>
<p>Watch the services with <code>mosquitto_sub -t 'voxbus/+/status' -v</code>. The monitor page will live here.</p>
</body>
</html>
`;
}
