// Starts the WebAssembly UI (a file rather than an inline script: the console's content
// security policy allows scripts from its own origin only).
import init from "./pkg/kafscope_frontend.js";
init({ module_or_path: "./pkg/kafscope_frontend_bg.wasm" });
