// Test fixture: Node.js handlers that fail.
exports.boom = async () => {
  throw new TypeError('bad things');
};
exports.callbackError = (event, context, callback) => callback(new Error('via callback'));
exports.exit = () => {
  console.log('about to exit');
  process.exit(2);
};
