// A Node.js handler that answers an HTTP request (from an Application Load
// Balancer or API Gateway) with a small HTML page.  It uses the callback style:
// callback(error, result).  Runtimes up to nodejs22.x accept it; from nodejs24.x
// on, Lambda only accepts async handlers that return the result.
// Handler setting: index.handler
console.log('Loading function');

exports.handler = (event, context, callback) => {
  console.log('Path requested:', event.path || '/');
  const response = {
    statusCode: 200,
    statusDescription: '200 OK',
    isBase64Encoded: false,
    headers: { 'Content-Type': 'text/html' },
    body: '<h1>Hello from Lambda!</h1>',
  };
  callback(null, response);
};
