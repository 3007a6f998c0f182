// The Monaco bundle: imported only through loadMonaco's dynamic import, so that Vite puts Monaco in
// a chunk of its own (with its workers) and the main bundle stays small. Nothing is fetched from a
// CDN: the workers are Vite `?worker` entries and the sandbox API's definitions are inlined text.

import * as monaco from "monaco-editor";
import EditorWorker from "monaco-editor/editor/editor.worker.js?worker";
import TsWorker from "monaco-editor/language/typescript/ts.worker.js?worker";
// The one definition of the sandbox API (runtime/jsbox), read as text at build time.
import goflowApiDts from "../../../../../runtime/jsbox/goflow-api.d.ts?raw";

export type Monaco = typeof monaco;

self.MonacoEnvironment = {
  getWorker(_workerId: string, label: string): Worker {
    return label === "typescript" || label === "javascript" ? new TsWorker() : new EditorWorker();
  },
};

// Scripts are plain JavaScript run in the sandbox: no DOM, the GoFlow globals from the .d.ts.
monaco.typescript.javascriptDefaults.setCompilerOptions({
  target: monaco.typescript.ScriptTarget.ES2020,
  allowNonTsExtensions: true,
  checkJs: false,
  noLib: false,
  lib: ["es2020"],
});
monaco.typescript.javascriptDefaults.setDiagnosticsOptions({ noSemanticValidation: true, noSyntaxValidation: false });
monaco.typescript.javascriptDefaults.addExtraLib(goflowApiDts, "ts:goflow/goflow-api.d.ts");

export { monaco };
