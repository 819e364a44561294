// lambdalab's Node.js runtime interface client.
//
// Speaks the Lambda Runtime API (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html)
// over http with keep-alive, loads the handler named in _HANDLER from LAMBDA_TASK_ROOT
// (index.js, index.mjs or index.cjs: https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html),
// and supports callback, async and promise handlers (callback handlers up to Node.js 22: from nodejs24.x the
// init fails with Runtime.CallbackHandlerDeprecated, https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html),
// the context object
// (https://docs.aws.amazon.com/lambda/latest/dg/nodejs-context.html) and Lambda's
// error and log formats (https://docs.aws.amazon.com/lambda/latest/dg/nodejs-exceptions.html).
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import util from 'node:util';

const [HOST, PORT] = process.env.AWS_LAMBDA_RUNTIME_API.split(':');
const TASK_ROOT = process.env.LAMBDA_TASK_ROOT || process.cwd();
const HANDLER = process.env._HANDLER || '';
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
let currentRequestId; // undefined during init, as Lambda prints it

function call(method, route, body = '', headers = {}) {
  return new Promise((resolve, reject) => {
    const data = Buffer.from(body);
    const req = http.request(
      { host: HOST, port: PORT, method, agent, path: `/2018-06-01/runtime${route}`,
        headers: { ...headers, 'Content-Length': data.length } },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
    req.on('error', reject);
    req.end(data);
  });
}

// console.* lines as Lambda prints them: "<ISO time>\t<request id>\t<LEVEL>\t<message>".  With the
// telemetry descriptor Lambda gives managed runtimes (_LAMBDA_TELEMETRY_LOG_FD), each call is one frame:
// type 0xA55A0003, length, timestamp in microseconds, message (big-endian), so a multi-line message
// stays one CloudWatch Logs event; without it, lines go to stdout.
const TELEMETRY_FD = process.env._LAMBDA_TELEMETRY_LOG_FD ? Number(process.env._LAMBDA_TELEMETRY_LOG_FD) : null;
delete process.env._LAMBDA_TELEMETRY_LOG_FD;

function writeLog(message, when = Date.now()) {
  if (TELEMETRY_FD === null) {
    process.stdout.write(message);
    return;
  }
  const body = Buffer.from(message, 'utf8');
  const head = Buffer.alloc(16);
  head.writeUInt32BE(0xa55a0003, 0);
  head.writeUInt32BE(body.length, 4);
  head.writeBigUInt64BE(BigInt(when) * 1000n, 8);
  fs.writeSync(TELEMETRY_FD, Buffer.concat([head, body]));
}

// With LoggingConfig LogFormat JSON (AWS_LAMBDA_LOG_FORMAT), each call is one JSON object
// {timestamp, level, requestId, message}, and calls below AWS_LAMBDA_LOG_LEVEL write nothing.
const LEVELS = { log: 'INFO', info: 'INFO', warn: 'WARN', error: 'ERROR', debug: 'DEBUG', trace: 'TRACE' };
const ORDER = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];
const JSON_FORMAT = process.env.AWS_LAMBDA_LOG_FORMAT === 'JSON';
const MIN_LEVEL = Math.max(0, ORDER.indexOf((process.env.AWS_LAMBDA_LOG_LEVEL || 'TRACE').toUpperCase()));
for (const [name, level] of Object.entries(LEVELS)) {
  console[name] = (...args) => {
    const now = new Date(); // one instant for the line's own timestamp and the event's
    if (!JSON_FORMAT) {
      writeLog(`${now.toISOString()}\t${currentRequestId}\t${level}\t${util.format(...args)}\n`, now.getTime());
    } else if (ORDER.indexOf(level) >= MIN_LEVEL) {
      const doc = { timestamp: now.toISOString(), level, requestId: currentRequestId, message: util.format(...args) };
      writeLog(JSON.stringify(doc) + '\n', now.getTime());
    }
  };
}

function errorDoc(err) {
  if (err instanceof Error || (err && typeof err === 'object' && 'message' in err && 'stack' in err)) {
    return { errorType: err.name || err.constructor?.name || 'Error', errorMessage: String(err.message),
      trace: String(err.stack || '').split('\n') };
  }
  return { errorType: typeof err, errorMessage: typeof err === 'string' ? err : util.format(err), trace: [] };
}

function logError(prefix, doc) {
  const { errorType, errorMessage, trace } = doc;
  console.error(prefix, JSON.stringify({ errorType, errorMessage, stack: trace }));
}

class InitError extends Error {
  constructor(type, message, cause) {
    super(message);
    this.name = type;
    if (cause?.stack) this.stack = cause.stack;
  }
}

async function loadHandler() {
  const slash = HANDLER.lastIndexOf('/');
  const dir = HANDLER.slice(0, slash + 1);
  const rest = HANDLER.slice(slash + 1);
  const dot = rest.indexOf('.');
  if (dot < 1 || dot === rest.length - 1) throw new InitError('Runtime.MalformedHandlerName', 'Bad handler');
  const moduleName = dir + rest.slice(0, dot);
  const fnPath = rest.slice(dot + 1).split('.');
  const base = path.resolve(TASK_ROOT, moduleName);
  const file = ['.js', '.mjs', '.cjs'].map((ext) => base + ext).find((f) => fs.existsSync(f));
  if (!file) {
    throw new InitError('Runtime.ImportModuleError',
      `Error: Cannot find module '${moduleName}'\nRequire stack:\n- /var/runtime/index.mjs`);
  }
  let mod;
  try {
    if (file.endsWith('.mjs') || (file.endsWith('.js') && isEsmPackage(path.dirname(file)))) {
      mod = await import(pathToFileURL(file).href);
    } else {
      try {
        mod = createRequire(file)(file);
      } catch (err) {
        if (err?.code !== 'ERR_REQUIRE_ESM') throw err;
        mod = await import(pathToFileURL(file).href);
      }
    }
  } catch (err) {
    if (err instanceof SyntaxError) throw new InitError('Runtime.UserCodeSyntaxError', `${err.name}: ${err.message}`, err);
    if (err?.code === 'MODULE_NOT_FOUND' || err?.code === 'ERR_MODULE_NOT_FOUND') {
      throw new InitError('Runtime.ImportModuleError', `Error: ${err.message}`, err);
    }
    throw err;
  }
  let fn = mod;
  for (const part of fnPath) fn = fn?.[part];
  if (fn === undefined && mod?.default) {
    fn = mod.default;
    for (const part of fnPath) fn = fn?.[part];
  }
  if (typeof fn !== 'function') {
    throw new InitError('Runtime.HandlerNotFound', `${moduleName}.${fnPath.join('.')} is undefined or not exported`);
  }
  return fn;
}

function isEsmPackage(dir) {
  for (let d = dir; d.startsWith(TASK_ROOT); d = path.dirname(d)) {
    const pkg = path.join(d, 'package.json');
    if (fs.existsSync(pkg)) {
      try { return JSON.parse(fs.readFileSync(pkg, 'utf8')).type === 'module'; } catch { return false; }
    }
    if (d === path.dirname(d)) break;
  }
  return false;
}

// Run the handler; settle on the first of callback, context.succeed/fail/done, or the returned promise.
function runHandler(handler, event, context) {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (err, result) => {
      if (settled) return;
      settled = true;
      resolve(err !== undefined && err !== null ? { error: err } : { result });
    };
    context.succeed = (result) => finish(null, result);
    context.fail = (err) => finish(err ?? new Error('handled'));
    context.done = (err, result) => finish(err, result);
    const callback = (err, result) => finish(err, result);
    try {
      const ret = handler(event, context, callback);
      if (ret && typeof ret.then === 'function') {
        ret.then((result) => finish(null, result), (err) => finish(err ?? new Error('Promise rejected')));
      } else if (handler.length < 3) {
        // a synchronous handler without a callback: Lambda answers null once the event loop is empty
        process.once('beforeExit', () => finish(null, null));
      }
    } catch (err) {
      finish(err);
    }
  });
}

// Response streaming (https://docs.aws.amazon.com/lambda/latest/dg/config-rs-write-functions.html):
// awslambda.streamifyResponse(handler) marks a handler(event, responseStream, context); its writes go to
// the Runtime API as a chunked response (Lambda-Runtime-Function-Response-Mode: streaming), an error after
// the first write in the trailers.  HttpResponseStream.from(stream, {statusCode, headers, cookies}) writes
// the prelude a function URL reads before the body: JSON, then eight zero bytes.
const STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
const HTTP_INTEGRATION = 'application/vnd.awslambda.http-integration-response';
globalThis.awslambda = {
  streamifyResponse(fn) { fn[STREAMING] = 'response'; return fn; },
  HttpResponseStream: {
    from(stream, prelude) {
      stream.setContentType(HTTP_INTEGRATION);
      stream.write(JSON.stringify(prelude ?? {}));
      stream.write(Buffer.alloc(8));
      return stream;
    },
  },
};

function responseStream(requestId) {
  let req = null;
  let contentType = 'application/octet-stream';
  let answered = null;
  const open = () => {
    if (req) return req;
    req = http.request({ host: HOST, port: PORT, method: 'POST', agent,
      path: `/2018-06-01/runtime/invocation/${requestId}/response`,
      headers: { 'Content-Type': contentType, 'Transfer-Encoding': 'chunked',
        'Lambda-Runtime-Function-Response-Mode': 'streaming',
        Trailer: 'Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body' } });
    answered = new Promise((resolve, reject) => {
      req.on('response', (res) => { res.resume(); res.on('end', resolve); });
      req.on('error', reject);
    });
    req.flushHeaders();
    return req;
  };
  const stream = new Writable({
    write(chunk, encoding, done) { open().write(chunk, done); },
    final(done) { open().end(done); },
  });
  stream.setContentType = (type) => { contentType = String(type); };
  stream.started = () => req !== null;
  stream.fail = (doc) => {
    if (req.writableEnded) return; // the answer was complete before the handler failed
    open().addTrailers({ 'Lambda-Runtime-Function-Error-Type': doc.errorType,
      'Lambda-Runtime-Function-Error-Body': Buffer.from(JSON.stringify(doc)).toString('base64') });
    req.end();
  };
  stream.answered = () => answered;
  return stream;
}

async function runStreaming(fn, event, context, requestId) {
  const stream = responseStream(requestId);
  try {
    await fn(event, stream, context);
    if (!stream.writableEnded) stream.end();
    await new Promise((resolve, reject) => {
      if (stream.writableFinished) resolve(); else { stream.on('finish', resolve); stream.on('error', reject); }
    });
    await stream.answered();
  } catch (err) {
    const doc = errorDoc(err);
    logError('Invoke Error \t', doc);
    if (stream.started()) {
      stream.fail(doc);
      await stream.answered().catch(() => {});
    } else {
      await call('POST', `/invocation/${requestId}/error`, JSON.stringify(doc),
        { 'Lambda-Runtime-Function-Error-Type': doc.errorType });
    }
  }
}

// From Node.js 24 Lambda refuses a handler declaring a third parameter (a callback) at init, async or not;
// a streaming handler's third parameter is its context and stays allowed.
const NODE_MAJOR = Number((/^AWS_Lambda_nodejs(\d+)/.exec(process.env.AWS_EXECUTION_ENV || '') || [])[1] || 0);
const CALLBACKS_REMOVED = NODE_MAJOR >= 24;
const CALLBACK_REMOVED_MESSAGE = 'ERROR: AWS Lambda has removed support for callback-based function handlers starting '
  + 'with Node.js 24. You need to modify this function to use a supported handler signature to use Node.js 24 or '
  + 'later. For more information see https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html.';

let handler;
try {
  handler = await loadHandler();
  if (CALLBACKS_REMOVED && handler.length >= 3 && !handler[STREAMING]) {
    throw new InitError('Runtime.CallbackHandlerDeprecated', CALLBACK_REMOVED_MESSAGE);
  }
} catch (err) {
  const doc = errorDoc(err);
  logError(CALLBACKS_REMOVED ? 'Init Error \t' : 'Uncaught Exception \t', doc);
  await call('POST', '/init/error', JSON.stringify(doc), { 'Lambda-Runtime-Function-Error-Type': doc.errorType });
  process.exit(1);
}

process.on('uncaughtException', async (err) => {
  const doc = errorDoc(err);
  logError('Uncaught Exception \t', doc);
  if (currentRequestId) {
    await call('POST', `/invocation/${currentRequestId}/error`, JSON.stringify(doc),
      { 'Lambda-Runtime-Function-Error-Type': doc.errorType }).catch(() => {});
  }
  process.exit(129);
});

for (;;) {
  const next = await call('GET', '/invocation/next');
  const h = next.headers;
  const requestId = h['lambda-runtime-aws-request-id'];
  const deadline = Number(h['lambda-runtime-deadline-ms']);
  currentRequestId = requestId;
  if (h['lambda-runtime-trace-id']) process.env._X_AMZN_TRACE_ID = h['lambda-runtime-trace-id'];
  const clientContext = h['lambda-runtime-client-context'];
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: h['lambda-runtime-invoked-function-arn'],
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: requestId,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    clientContext: clientContext ? JSON.parse(clientContext) : undefined,
    identity: undefined,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  let event;
  try { event = JSON.parse(next.body); } catch { event = next.body; }
  if (handler[STREAMING] === 'response') {
    await runStreaming(handler, event, context, requestId);
    continue;
  }
  const outcome = await runHandler(handler, event, context);
  let body;
  if (!('error' in outcome)) {
    try {
      body = JSON.stringify(outcome.result === undefined ? null : outcome.result);
    } catch (err) {
      outcome.error = err;
    }
  }
  if ('error' in outcome) {
    const doc = errorDoc(outcome.error);
    logError('Invoke Error \t', doc);
    await call('POST', `/invocation/${requestId}/error`, JSON.stringify(doc),
      { 'Lambda-Runtime-Function-Error-Type': doc.errorType });
  } else {
    await call('POST', `/invocation/${requestId}/response`, body);
  }
}
