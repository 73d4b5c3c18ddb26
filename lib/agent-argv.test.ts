import { expect, test } from "bun:test";
import { agentArgv } from "./agent-argv.ts";
import { agentCommand, agentOpening } from "./remote/commands.ts";

test("the agent's command lines as batou starts them take the agent's own path", () => {
  expect(agentArgv(["agent"])).toEqual({});
  expect(agentArgv(["agent", "--opening", "eyJ0eXBlIjoi"])).toEqual({ opening: "eyJ0eXBlIjoi" });
  // the words agentCommand gives the agent, whatever the opening
  const opening = agentOpening('{"type":"request"}\n')!;
  const words = agentCommand("/srv/app", "batou-1.0.0", opening).split(" exec .batou/batou-1.0.0 ")[1]!.split(" ");
  expect(agentArgv(words)).toEqual({ opening });
});

test("anything else goes through the CLI", () => {
  expect(agentArgv(["deploy", "prod"])).toBeUndefined();
  expect(agentArgv(["agent", "--help"])).toBeUndefined();
  expect(agentArgv(["agent", "--directory", "/srv/app"])).toBeUndefined();
  expect(agentArgv(["agent", "--opening"])).toBeUndefined();
  expect(agentArgv([])).toBeUndefined();
});
