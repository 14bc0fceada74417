/**
 * Why a topic or filter must be refused, or undefined. MQTT 3.1.1 (§1.5.3) forbids U+0000 in
 * topic names and says ill-formed UTF-8 closes the connection; mqtt-packet decodes without
 * checking, so ill-formed bytes arrive as U+FFFD (a well-formed U+FFFD is refused with them).
 */
export function topicProblem(topic: string): string | undefined {
  if (topic.includes('\u0000')) return 'a NUL character in the topic';
  if (topic.includes('\uFFFD')) return 'ill-formed UTF-8 in the topic';
  return undefined;
}
