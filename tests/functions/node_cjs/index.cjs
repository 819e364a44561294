// Test fixture: a CommonJS module returning a promise.
module.exports.handler = (event) => Promise.resolve({ kind: 'cjs', echo: event });
