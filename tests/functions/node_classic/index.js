// Test fixture: the classic callback handler that returns an HTML page for API Gateway.
exports.handler = (event, context, callback) => {
  console.log('Received event:', JSON.stringify(event));
  const html = '<html><head><title>HTML from Lambda</title></head>' +
    '<body><h1>Hello from Lambda, ' + (event.name || 'world') + '!</h1></body></html>';
  callback(null, {
    statusCode: 200,
    headers: { 'Content-Type': 'text/html' },
    body: html,
  });
};
