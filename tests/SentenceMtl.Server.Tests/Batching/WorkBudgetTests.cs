using SentenceMtl.Server.Batching;

namespace SentenceMtl.Server.Tests.Batching;

/// <summary>The budget's rules: amounts are granted first-fit, a wait ends with null at its timeout, and what is given
/// back goes to the waiters that fit.</summary>
public sealed class WorkBudgetTests
{
    [Fact]
    public async Task Amounts_that_fit_are_granted_at_once_and_the_rest_wait_until_given_back()
    {
        var budget = new WorkBudget(10, 10);
        var first = await budget.TryTakeAsync(6, TimeSpan.Zero, CancellationToken.None);
        var waiting = budget.TryTakeAsync(6, TimeSpan.FromSeconds(30), CancellationToken.None);

        Assert.NotNull(first);
        Assert.False(waiting.IsCompleted);
        Assert.Equal(6, budget.InUse);
        first!.Dispose();
        first.Dispose();
        var second = await waiting;

        Assert.NotNull(second);
        Assert.Equal(6, budget.InUse);
        second!.Dispose();
        Assert.Equal(0, budget.InUse);
    }

    [Fact]
    public async Task A_small_amount_passes_a_large_one_that_does_not_fit()
    {
        var budget = new WorkBudget(10, 10);
        using var held = await budget.TryTakeAsync(7, TimeSpan.Zero, CancellationToken.None);
        var large = budget.TryTakeAsync(8, TimeSpan.FromSeconds(30), CancellationToken.None);

        using var small = await budget.TryTakeAsync(3, TimeSpan.Zero, CancellationToken.None);

        Assert.NotNull(small);
        Assert.False(large.IsCompleted);
        Assert.Equal(10, budget.InUse);
    }

    [Fact]
    public async Task The_last_eighth_is_kept_for_small_amounts()
    {
        var budget = new WorkBudget(80, 40);
        using var first = await budget.TryTakeAsync(40, TimeSpan.Zero, CancellationToken.None);
        using var second = await budget.TryTakeAsync(30, TimeSpan.Zero, CancellationToken.None);

        var large = await budget.TryTakeAsync(11, TimeSpan.Zero, CancellationToken.None);
        using var small = await budget.TryTakeAsync(10, TimeSpan.Zero, CancellationToken.None);

        Assert.Equal(10, budget.Reserve);
        Assert.NotNull(second);
        Assert.Null(large);
        Assert.NotNull(small);
        Assert.Equal(80, budget.InUse);
    }

    [Fact]
    public async Task A_wait_past_its_timeout_gets_null_and_takes_nothing()
    {
        var budget = new WorkBudget(10, 10);
        using var held = await budget.TryTakeAsync(10, TimeSpan.Zero, CancellationToken.None);

        var refused = await budget.TryTakeAsync(1, TimeSpan.FromMilliseconds(50), CancellationToken.None);

        Assert.Null(refused);
        Assert.Equal(10, budget.InUse);
    }

    [Fact]
    public async Task A_cancelled_wait_throws_and_takes_nothing()
    {
        var budget = new WorkBudget(10, 10);
        var held = await budget.TryTakeAsync(10, TimeSpan.Zero, CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var waiting = budget.TryTakeAsync(5, TimeSpan.FromSeconds(30), cancel.Token);

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        held!.Dispose();
        Assert.Equal(0, budget.InUse);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(11)]
    public async Task An_amount_outside_the_budget_is_an_argument_error(long amount)
    {
        var budget = new WorkBudget(10, 10);

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => budget.TryTakeAsync(amount, TimeSpan.Zero, CancellationToken.None));
    }

    [Fact]
    public void Batch_cancellation_waits_for_every_request()
    {
        using var a = new CancellationTokenSource();
        using var b = new CancellationTokenSource();
        using var watch = new BatchCancellation([a.Token, b.Token]);
        using var withUncancellable = new BatchCancellation([a.Token, CancellationToken.None]);

        a.Cancel();
        Assert.False(watch.Token.IsCancellationRequested);
        b.Cancel();

        Assert.True(watch.Token.IsCancellationRequested);
        Assert.False(withUncancellable.Token.IsCancellationRequested);
    }
}
