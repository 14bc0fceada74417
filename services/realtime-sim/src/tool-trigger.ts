// What the sim's stand-in for the model decides about tools: whether a response calls one, and
// with which arguments.

export interface TurnFacts {
  /** How long the user's committed audio was. */
  readonly spokenMs: number;
  /** Text the user typed (conversation.item.create), when the turn came from text. */
  readonly userText?: string | undefined;
  /** The output of the function the model called, when the turn continues a tool call. */
  readonly toolOutput?: string | undefined;
}

/** A function tool as sessions and responses declare it. */
export interface FunctionTool {
  readonly type: 'function';
  readonly name: string;
  /** JSON Schema of the arguments, as the session declared it. */
  readonly parameters?: unknown;
}

/**
 * Decides whether a response calls a function instead of speaking (the sim's stand-in for the
 * model's judgement). Undefined: speak.
 */
export type ToolTrigger = (turn: TurnFacts, tools: readonly FunctionTool[], toolChoice: unknown) => { name: string; arguments: string } | undefined;

/**
 * The default trigger: never after a tool output (the model speaks about it); `tool_choice`
 * `none` never calls; a named `tool_choice` or `required` always calls; on `auto`, a typed
 * message that names a tool calls it, and a spoken turn calls `spokenTurnTool` when the session
 * has it.
 */
export function defaultToolTrigger(spokenTurnTool: string): ToolTrigger {
  return (turn, tools, toolChoice) => {
    if (turn.toolOutput !== undefined || tools.length === 0 || toolChoice === 'none') return undefined;
    const call = (tool: FunctionTool | undefined) => (tool ? { name: tool.name, arguments: JSON.stringify(toolArguments(tool, turn)) } : undefined);
    const named = (toolChoice as { name?: string } | null)?.name;
    if (named) return call(tools.find((tool) => tool.name === named));
    if (toolChoice === 'required') return call(tools[0]);
    const mentioned = turn.userText ? tools.find((tool) => turn.userText?.includes(tool.name)) : undefined;
    if (mentioned) return call(mentioned);
    if (turn.userText === undefined) return call(tools.find((tool) => tool.name === spokenTurnTool));
    return undefined;
  };
}

type JsonSchema = { type?: unknown; enum?: unknown[]; properties?: Record<string, JsonSchema>; required?: unknown[] };

/**
 * Arguments that fit the tool's declared parameters, as a model's would: every required
 * property, of its type (an enum's first value; strings carry what the user said, numbers the
 * spoken milliseconds), and nothing the schema does not declare.
 */
function toolArguments(tool: FunctionTool, turn: TurnFacts): Record<string, unknown> {
  const schema = (tool.parameters ?? {}) as JsonSchema;
  const properties = schema.properties ?? {};
  const required = Array.isArray(schema.required) ? schema.required.filter((name): name is string => typeof name === 'string') : [];
  const said = turn.userText ?? `${turn.spokenMs} ms of speech`;
  const sampleOf = (property: JsonSchema | undefined): unknown => {
    if (Array.isArray(property?.enum) && property.enum.length > 0) return property.enum[0];
    switch (Array.isArray(property?.type) ? property.type[0] : property?.type) {
      case 'number':
      case 'integer':
        return turn.spokenMs;
      case 'boolean':
        return true;
      case 'array':
        return [];
      case 'object':
        return {};
      case 'null':
        return null;
      default:
        return said;
    }
  };
  return Object.fromEntries(required.map((name) => [name, sampleOf(properties[name])]));
}
