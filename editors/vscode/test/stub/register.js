// Preloaded with `node --require`: makes `require('vscode')` load the stub
// next to this file. No VS Code is downloaded or started by the tests.
'use strict';

const Module = require('node:module');
const path = require('node:path');

const stubPath = path.join(__dirname, 'vscode.js');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === 'vscode') {
    return stubPath;
  }
  return resolve.call(this, request, ...rest);
};
