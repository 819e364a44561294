// Test fixture: an ES module with an async handler.
let count = 0;
const environment = `${Date.now()}-${Math.random()}`; // one per execution environment
console.log('init: module loaded');

export const handler = async (event, context) => {
  count += 1;
  console.log('handling', event);
  await new Promise((resolve) => setTimeout(resolve, 5));
  return {
    event,
    count,
    pid: process.pid,
    environment,
    remaining: context.getRemainingTimeInMillis(),
    functionName: context.functionName,
    functionVersion: context.functionVersion,
    invokedFunctionArn: context.invokedFunctionArn,
    memoryLimitInMB: context.memoryLimitInMB,
    awsRequestId: context.awsRequestId,
    logGroupName: context.logGroupName,
    logStreamName: context.logStreamName,
    clientContext: context.clientContext ?? null,
  };
};

export const sleepy = async (event) => {
  await new Promise((resolve) => setTimeout(resolve, event.ms));
  return { id: event.id, pid: process.pid, environment };
};
