/**
 * Makes the bare specifier `"batou"` resolve to batou's own API for user
 * components, at run time, without any `node_modules` in the user's project.
 * Imported for its side effect before component files load.
 */
import { plugin } from "bun";
import * as api from "./batou.ts";

plugin({
  name: "batou-module",
  setup(build) {
    build.module("batou", () => ({ exports: { ...api, default: api }, loader: "object" }));
  },
});
